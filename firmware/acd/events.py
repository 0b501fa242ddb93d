"""Events the ACD core accepts, and their parsing from the JSON form of DESIGN.md 2.5.

`parse_event(obj)` turns one decoded JSON object into a typed event or raises `EventError`
with the error code the REJECTED record carries (ERR_MALFORMED, ERR_UNKNOWN_EVENT, …).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from firmware.acd.event_fields import ORIGINS as ORIGINS
from firmware.acd.event_fields import Event as Event
from firmware.acd.event_fields import EventError as EventError
from firmware.acd.event_fields import bool_field as _bool
from firmware.acd.event_fields import by_field as _by
from firmware.acd.event_fields import call_id_field as _call_id
from firmware.acd.event_fields import priority_field as _priority
from firmware.acd.event_fields import str_field as _str
from firmware.acd.events_calls import *  # noqa: F403  (the in-call and callback events)
from firmware.acd.events_calls import NAMES_CALLS, PARSERS_CALLS

SETTABLE_STATUSES = ("ready", "withdrawn", "unavailable")


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
    """The far end ended the agent's call. `call`, optional (DESIGN.md's event names only the
    agent), pins which call: a late BYE for a call already over must not end the next one."""

    agent: str
    call: str | None = None


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
    "call_end": lambda o, n: CallEnd(
        _str(o, "agent"), _str(o, "call") if "call" in o else None, line=n
    ),
    "set_status": _set_status,
    "open_contact": lambda o, n: OpenContact(_str(o, "agent"), _str(o, "campaign"), line=n),
    "return_home": lambda o, n: ReturnHome(_str(o, "agent"), line=n),
    "dial": _dial,
    "logout": lambda o, n: Logout(_str(o, "agent"), _bool(o, "immediate", False), _by(o), line=n),
    "login": lambda o, n: Login(_str(o, "agent"), _by(o), line=n),
    "device": lambda o, n: Device(_str(o, "agent"), _bool(o, "connected"), line=n),
    "advance": lambda o, n: Advance(line=n),
    **PARSERS_CALLS,
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
    **NAMES_CALLS,
}


def event_to_dict(event: Event, t: float) -> dict[str, Any]:
    """The script-line form of `event` at `t` (the inverse of `parse_event`)."""
    name = _NAME_OF.get(type(event))
    if name is None:
        raise ValueError(f"{type(event).__name__} has no script form")
    out: dict[str, Any] = {"t": t, "event": name}
    for f in fields(event):
        value = getattr(event, f.name)
        if f.name != "line" and not (value is None and f.default is None):
            out[f.name] = value  # an optional field left out stays out
    return out
