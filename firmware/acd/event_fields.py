"""What every event shares: the base class, the error a bad event raises, and the readers of
the JSON fields (DESIGN.md 2.5), used by `events` and `events_calls`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORIGINS = ("user", "supervisor")


class EventError(ValueError):
    """An event the core cannot take: `code` is the REJECTED error, the message its detail."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. `line` is where it came from (script line), for REJECTED records."""

    line: int | None = field(default=None, kw_only=True)


def str_field(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise EventError("ERR_MALFORMED", f"{key!r} must be a non-empty string, got {value!r}")
    return value


def bool_field(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise EventError("ERR_MALFORMED", f"{key!r} must be true or false, got {value!r}")
    return value


def by_field(obj: dict[str, Any]) -> str:
    by = obj.get("by", "user")
    if by not in ORIGINS:
        raise EventError("ERR_BAD_ORIGIN", f"'by' must be one of {', '.join(ORIGINS)}, not {by!r}")
    return str(by)


def call_id_field(obj: dict[str, Any]) -> str:
    call = str_field(obj, "call")
    if call.startswith("#"):
        raise EventError("ERR_MALFORMED", f"call ids starting with '#' are reserved: {call!r}")
    return call


def priority_field(obj: dict[str, Any]) -> int:
    p = obj.get("priority", 0)
    if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 255:
        raise EventError("ERR_PRIORITY", f"priority must be an integer 0..255, got {p!r}")
    return p
