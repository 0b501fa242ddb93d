"""The seam between a button device and the press classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ButtonGone(Exception):
    """The input device of the state button is missing or was removed; the message says which
    device and what to check (overlay, permissions)."""


@dataclass(frozen=True)
class KeyEdge:
    """The key went down (`pressed`) or up at time `at` (the service's monotonic clock)."""

    pressed: bool
    at: float


class ButtonSource(Protocol):
    """Where key edges come from (a Linux input device, or a fake). `read` and `reopen` raise
    `ButtonGone` when the device is not there."""

    def fileno(self) -> int:
        """For the service loop's selector; -1 when there is nothing to wait on."""
        ...

    def read(self, now: float) -> list[KeyEdge]:
        """Edges available by `now` (never blocks)."""
        ...

    def reopen(self) -> None: ...

    def close(self) -> None: ...
