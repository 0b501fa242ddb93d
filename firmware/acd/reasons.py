"""Reason codes the ACD core gives itself; a user or supervisor may never choose these."""

SYSTEM_REASONS = frozenset({"no_answer", "post_call", "preview", "reserved"})
DEFAULT_USER_REASON = "manual"
