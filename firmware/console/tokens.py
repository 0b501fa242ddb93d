"""The technician token: where it is provisioned, how a request's token is checked.

The token is a file (mode 0600) in the state directory, `console.token`, unless the
`[console] token_file` setting names another. With no token provisioned every mutating
operation is refused (`ERR_NO_TOKEN`); the simulated board generates one at start and prints
it. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from firmware.console import protocol as p

TOKEN_FILE = "console.token"


class TokenCheck:
    """Holds the provisioned token (None: none) and answers whether a request may mutate."""

    def __init__(self, token: str | None) -> None:
        self.token = token or None

    @classmethod
    def from_file(cls, path: Path) -> TokenCheck:
        """Read the token file; missing or empty → no token (mutations refused). Raises
        OSError for an unreadable file (the service reports it and starts without one)."""
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return cls(None)
        return cls(text or None)

    def refusal(self, given: str | None) -> tuple[str, str] | None:
        """None when `given` may run a mutating operation, else (code, message)."""
        if self.token is None:
            return (
                p.ERR_NO_TOKEN,
                "no technician token is provisioned on this gateway, so changes are refused "
                f"(write one to {TOKEN_FILE} in the state directory)",
            )
        if given is None:
            return p.ERR_TOKEN, "this command changes the gateway: give --token or GWCTL_TOKEN"
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return p.ERR_TOKEN, "wrong technician token"
        return None


def generate(path: Path) -> str:
    """Write a fresh random token to `path` (0600) and return it (the simulated board)."""
    token = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token
