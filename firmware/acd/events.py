"""Events the ACD core accepts, and their parsing from the JSON form of DESIGN.md 2.5.

`parse_event(obj)` turns one decoded JSON object into a typed event or raises `EventError`
with the error code the REJECTED record carries (ERR_MALFORMED, ERR_UNKNOWN_EVENT, …).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

ORIGINS = ("user", "supervisor")
SETTABLE_STATUSES = ("ready", "withdrawn", "unavailable")


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


@dataclass(frozen=True, slots=True)
class CallArrived(Event):
    call: str
    queue: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class CallerHangup(Event):
    call: str


@dataclass(frozen=True, slots=True)
class Hook(Event):
    agent: str
    off_hook: bool


@dataclass(frozen=True, slots=True)
class Answer(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Hangup(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Refuse(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class CallEnd(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class SetStatus(Event):
    agent: str
    status: str
    reason: str
    by: str = "user"


@dataclass(frozen=True, slots=True)
class OpenContact(Event):
    agent: str
    campaign: str


@dataclass(frozen=True, slots=True)
class ReturnHome(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Dial(Event):
    agent: str
    number: str


@dataclass(frozen=True, slots=True)
class Logout(Event):
    agent: str
    immediate: bool = False
    by: str = "user"


@dataclass(frozen=True, slots=True)
class Login(Event):
    agent: str
    by: str = "user"


@dataclass(frozen=True, slots=True)
class Device(Event):
    agent: str
    connected: bool


@dataclass(frozen=True, slots=True)
class Advance(Event):
    """Only moves the clock (timers due by then fire)."""


@dataclass(frozen=True, slots=True)
class Restart(Event):
    """The service restarted: in-flight offers end CANCELLED, live calls end (reason restart)."""


@dataclass(frozen=True, slots=True)
class Invalid(Event):
    """Input that could not be parsed; the core journals it as REJECTED and goes on."""

    code: str
    detail: str


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise EventError("ERR_MALFORMED", f"{key!r} must be a non-empty string, got {value!r}")
    return value


def _bool(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise EventError("ERR_MALFORMED", f"{key!r} must be true or false, got {value!r}")
    return value


def _by(obj: dict[str, Any]) -> str:
    by = obj.get("by", "user")
    if by not in ORIGINS:
        raise EventError("ERR_BAD_ORIGIN", f"'by' must be one of {', '.join(ORIGINS)}, not {by!r}")
    return str(by)


def _call_id(obj: dict[str, Any]) -> str:
    call = _str(obj, "call")
    if call.startswith("#"):
        raise EventError("ERR_MALFORMED", f"call ids starting with '#' are reserved: {call!r}")
    return call


def _priority(obj: dict[str, Any]) -> int:
    p = obj.get("priority", 0)
    if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 255:
        raise EventError("ERR_PRIORITY", f"priority must be an integer 0..255, got {p!r}")
    return p


def event_time(obj: Any) -> float:
    """The `t` of a script line, or EventError if it is missing or not a finite number >= 0."""
    t = obj.get("t") if isinstance(obj, dict) else None
    if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
        raise EventError("ERR_MALFORMED", f"'t' must be a number of seconds >= 0, got {t!r}")
    return float(t)


def _set_status(o: dict[str, Any], line: int | None) -> SetStatus:
    status = o.get("status")
    if status not in SETTABLE_STATUSES:
        raise EventError(
            "ERR_BAD_STATUS",
            f"status must be one of {', '.join(SETTABLE_STATUSES)}, not {status!r}"
            + (" (use the 'logout' event)" if status == "logged_out" else ""),
        )
    reason = o.get("reason", "manual")
    if not isinstance(reason, str) or not reason:
        raise EventError("ERR_MALFORMED", f"'reason' must be a non-empty string, got {reason!r}")
    return SetStatus(_str(o, "agent"), str(status), reason, _by(o), line=line)


def _dial(o: dict[str, Any], line: int | None) -> Dial:
    number = o.get("number")
    if not isinstance(number, str):
        raise EventError("ERR_MALFORMED", f"'number' must be a string, got {number!r}")
    return Dial(_str(o, "agent"), number, line=line)


_PARSERS: dict[str, Any] = {
    "call_arrived": lambda o, n: CallArrived(_call_id(o), _str(o, "queue"), _priority(o), line=n),
    "caller_hangup": lambda o, n: CallerHangup(_str(o, "call"), line=n),
    "hook": lambda o, n: Hook(_str(o, "agent"), _bool(o, "off_hook"), line=n),
    "answer": lambda o, n: Answer(_str(o, "agent"), line=n),
    "hangup": lambda o, n: Hangup(_str(o, "agent"), line=n),
    "refuse": lambda o, n: Refuse(_str(o, "agent"), line=n),
    "call_end": lambda o, n: CallEnd(_str(o, "agent"), line=n),
    "set_status": _set_status,
    "open_contact": lambda o, n: OpenContact(_str(o, "agent"), _str(o, "campaign"), line=n),
    "return_home": lambda o, n: ReturnHome(_str(o, "agent"), line=n),
    "dial": _dial,
    "logout": lambda o, n: Logout(_str(o, "agent"), _bool(o, "immediate", False), _by(o), line=n),
    "login": lambda o, n: Login(_str(o, "agent"), _by(o), line=n),
    "device": lambda o, n: Device(_str(o, "agent"), _bool(o, "connected"), line=n),
    "advance": lambda o, n: Advance(line=n),
}

EVENT_NAMES = tuple(_PARSERS)


def parse_event(obj: Any, line: int | None = None) -> Event:
    """Turn one JSON object (already decoded) into an event; EventError if it is not one."""
    if not isinstance(obj, dict):
        raise EventError("ERR_MALFORMED", f"an event is a JSON object, got {type(obj).__name__}")
    name = obj.get("event")
    if not isinstance(name, str):
        raise EventError("ERR_MALFORMED", "missing 'event' (the event's name)")
    parser = _PARSERS.get(name)
    if parser is None:
        raise EventError(
            "ERR_UNKNOWN_EVENT", f"unknown event {name!r} (known: {', '.join(EVENT_NAMES)})"
        )
    event: Event = parser(obj, line)
    return event


_NAME_OF: dict[type[Event], str] = {
    CallArrived: "call_arrived",
    CallerHangup: "caller_hangup",
    Hook: "hook",
    Answer: "answer",
    Hangup: "hangup",
    Refuse: "refuse",
    CallEnd: "call_end",
    SetStatus: "set_status",
    OpenContact: "open_contact",
    ReturnHome: "return_home",
    Dial: "dial",
    Logout: "logout",
    Login: "login",
    Device: "device",
    Advance: "advance",
}


def event_to_dict(event: Event, t: float) -> dict[str, Any]:
    """The script-line form of `event` at `t` (the inverse of `parse_event`)."""
    name = _NAME_OF.get(type(event))
    if name is None:
        raise ValueError(f"{type(event).__name__} has no script form")
    out: dict[str, Any] = {"t": t, "event": name}
    for f in fields(event):
        if f.name != "line":
            out[f.name] = getattr(event, f.name)
    return out
