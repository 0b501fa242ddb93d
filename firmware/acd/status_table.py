"""Every agent status change the core may make, as one table (DESIGN.md 2.2–2.4).

`transitions.change_status` checks each change against this table, so the table is the
truth, not a comment; `docs/acd-states.md` is generated from it (`python -m
firmware.acd.status_table --write`), and a test keeps the two in step and checks that every
status is reachable and none is a trap.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from firmware.acd.reasons import SYSTEM_REASONS

STATUSES = ("ready", "withdrawn", "unavailable", "logged_out")
LOGGED_IN = frozenset({"ready", "withdrawn", "unavailable"})
PEOPLE = frozenset({"user", "supervisor"})
SYSTEM = frozenset({"system"})
USER_REASON = None  # any reason that is not a system reason


@dataclass(frozen=True)
class Transition:
    """One kind of status change: from which statuses (and reasons) to which, and why."""

    trigger: str
    sources: frozenset[str]
    source_reasons: frozenset[str] | None  # None: any reason
    targets: frozenset[str]
    reasons: frozenset[str] | None  # USER_REASON: a user's own code
    origins: frozenset[str]

    def allows(self, frm: str, frm_reason: str | None, to: str, reason: str | None,
               origin: str) -> bool:  # fmt: skip
        if frm not in self.sources or to not in self.targets or origin not in self.origins:
            return False
        if self.source_reasons is not None and frm_reason not in self.source_reasons:
            return False
        if self.reasons is USER_REASON:
            return reason is not None and reason not in SYSTEM_REASONS
        return reason in self.reasons


def _t(trigger: str, sources: set[str], targets: set[str], reasons: set[str] | None,
       origins: frozenset[str], source_reasons: set[str] | None = None) -> Transition:  # fmt: skip
    return Transition(
        trigger,
        frozenset(sources),
        None if source_reasons is None else frozenset(source_reasons),
        frozenset(targets),
        None if reasons is None else frozenset(reasons),
        origins,
    )


ANY = set(LOGGED_IN)
TABLE: tuple[Transition, ...] = (
    _t("set_status (agent, button, gwctl)", ANY, ANY, USER_REASON, PEOPLE),
    _t("logout (negotiated when due)", ANY, {"logged_out"}, {"logout"}, PEOPLE),
    _t("login", {"logged_out"}, {"ready"}, {"login"}, PEOPLE),
    _t("RONA: max_failed_offers reached", {"ready"}, {"withdrawn"}, {"no_answer"}, SYSTEM),
    _t("open_contact, auto_withdraw", {"ready"}, {"withdrawn"}, {"preview"}, SYSTEM),
    _t("ACD call ends, wrapup > 0", {"ready"}, {"withdrawn"}, {"post_call"}, SYSTEM),
    _t("a call ends in preview", {"withdrawn"}, {"withdrawn"}, {"post_call"}, SYSTEM,
       {"preview"}),
    _t("wrap-up time is over", {"withdrawn"}, {"ready"}, {"wrapup_end"}, SYSTEM, {"post_call"}),
    _t("return_home, profile right on", {"withdrawn"}, {"ready"}, {"return_home"}, SYSTEM,
       {"preview", "post_call"}),
    # in-call rules and callbacks (docs/acd-calls.md)
    _t("wrapup_reason submitted", {"withdrawn"}, {"ready"}, {"wrapup_submitted"}, PEOPLE,
       {"post_call"}),
    _t("power-mode callback about to be dialled", {"ready"}, {"withdrawn"}, {"reserved"},
       SYSTEM),
    _t("callback attempt over: back to before", {"withdrawn"}, {"ready"}, {"released"},
       SYSTEM, {"reserved"}),
)  # fmt: skip


def find(frm: str, frm_reason: str | None, to: str, reason: str | None, origin: str
         ) -> Transition | None:  # fmt: skip
    """The table row allowing this change, or None."""
    for row in TABLE:
        if row.allows(frm, frm_reason, to, reason, origin):
            return row
    return None


def _names(values: frozenset[str] | None, none: str) -> str:
    return none if values is None else ", ".join(f"`{v}`" for v in sorted(values))


def render_markdown() -> str:
    lines = [
        "# Agent statuses",
        "",
        "Generated from `firmware/acd/status_table.py` by",
        "`python -m firmware.acd.status_table --write`; do not edit by hand.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        "    [*] --> ready: start status (configurable)",
    ]
    for row in TABLE:
        for src in sorted(row.sources):
            for dst in sorted(row.targets):
                if src != dst or row.reasons is not USER_REASON:
                    label = _names(row.reasons, "user reason").replace("`", "")
                    lines.append(f"    {src} --> {dst}: {label}")
    lines += ["```", "", "| trigger | from | to | reason | origin |", "|---|---|---|---|---|"]
    for row in TABLE:
        frm = _names(row.sources, "")
        if row.source_reasons is not None:
            frm += f" ({_names(row.source_reasons, '')})"
        lines.append(
            f"| {row.trigger} | {frm} | {_names(row.targets, '')} | "
            f"{_names(row.reasons, 'a user code (not a system reason)')} | "
            f"{_names(row.origins, '')} |"
        )
    lines += [
        "",
        "A system change never replaces a user's withdrawal: every system row starts from",
        "`ready` or from a withdrawal the system itself set.",
        "",
    ]
    return "\n".join(lines)


DOC = Path(__file__).resolve().parents[2] / "docs" / "acd-states.md"

if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(render_markdown())
    else:
        sys.stdout.write(render_markdown())
