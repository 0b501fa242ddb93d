"""Events of the in-call rules and callbacks (docs/acd-calls.md), and their parsing from the
JSON script form; `events.parse_event` and `events.event_to_dict` take them through
`PARSERS_CALLS` and `NAMES_CALLS`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from firmware.acd.event_fields import Event, EventError
from firmware.acd.event_fields import by_field as _by
from firmware.acd.event_fields import call_id_field as _call_id
from firmware.acd.event_fields import priority_field as _priority
from firmware.acd.event_fields import str_field as _str

__all__ = [
    "CALLBACK_RESULTS",
    "TARGET_KINDS",
    "CadSet",
    "CallbackCancel",
    "CallbackRequest",
    "CallbackResult",
    "Conference",
    "Consult",
    "ConsultEnd",
    "Flash",
    "Hold",
    "RecordingPause",
    "RecordingResume",
    "Resume",
    "Transfer",
    "WallClock",
    "WrapupReason",
]

# -- in-call rules (docs/acd-calls.md) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Resume(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Flash(Event):
    """The headset's Flash button: hold, resume, or swap customer and consulted party."""

    agent: str


@dataclass(frozen=True, slots=True)
class Consult(Event):
    agent: str
    to: str  # agent | queue | number
    target: str


@dataclass(frozen=True, slots=True)
class ConsultEnd(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class Transfer(Event):
    """Blind transfer with `to`/`target`; without them, transfer to the consulted party."""

    agent: str
    to: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class Conference(Event):
    agent: str


@dataclass(frozen=True, slots=True)
class WrapupReason(Event):
    agent: str
    code: str
    by: str = "user"


@dataclass(frozen=True, slots=True)
class RecordingPause(Event):
    agent: str
    by: str = "user"


@dataclass(frozen=True, slots=True)
class RecordingResume(Event):
    agent: str
    by: str = "user"


@dataclass(frozen=True, slots=True)
class CadSet(Event):
    agent: str
    name: str
    value: str = field(repr=False)  # may be secure: never in a repr or an error message
    version: int


# -- callbacks (docs/acd-calls.md) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WallClock(Event):
    """The wall-clock time (naive local ISO 8601) at this event's `t`."""

    at: str


@dataclass(frozen=True, slots=True)
class CallbackRequest(Event):
    call: str
    campaign: str
    queue: str
    number: str
    priority: int = 0
    due: float | None = None  # core time; None = now
    agent: str | None = None  # a personal callback scheduled by this agent


@dataclass(frozen=True, slots=True)
class CallbackResult(Event):
    call: str
    result: str  # answered | no_answer | busy | network_error | invalid_number | unreachable


@dataclass(frozen=True, slots=True)
class CallbackCancel(Event):
    call: str


TARGET_KINDS = ("agent", "queue", "number")
CALLBACK_RESULTS = (
    "answered",
    "no_answer",
    "busy",
    "network_error",
    "invalid_number",
    "unreachable",
)


def _target(o: dict[str, Any], required: bool) -> tuple[str | None, str | None]:
    to = o.get("to")
    if to is None and not required:
        if "target" in o:
            raise EventError("ERR_MALFORMED", "'target' needs 'to' (agent, queue or number)")
        return None, None
    if to not in TARGET_KINDS:
        raise EventError("ERR_BAD_TARGET", f"'to' must be one of {', '.join(TARGET_KINDS)}")
    return str(to), _str(o, "target")


def _consult(o: dict[str, Any], line: int | None) -> Consult:
    to, target = _target(o, required=True)
    assert to is not None and target is not None
    return Consult(_str(o, "agent"), to, target, line=line)


def _transfer(o: dict[str, Any], line: int | None) -> Transfer:
    to, target = _target(o, required=False)
    return Transfer(_str(o, "agent"), to, target, line=line)


def _cad_set(o: dict[str, Any], line: int | None) -> CadSet:
    value, version = o.get("value"), o.get("version", 0)
    if not isinstance(value, str):
        raise EventError("ERR_MALFORMED", "'value' must be a string")  # never echo a value
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise EventError("ERR_MALFORMED", "'version' must be an integer >= 0")
    return CadSet(_str(o, "agent"), _str(o, "name"), value, version, line=line)


def _callback_request(o: dict[str, Any], line: int | None) -> CallbackRequest:
    due = o.get("due")
    if due is not None and (
        isinstance(due, bool) or not isinstance(due, int | float) or not math.isfinite(due)
    ):
        raise EventError("ERR_MALFORMED", f"'due' must be a number of seconds, got {due!r}")
    agent = o.get("agent")
    if agent is not None and (not isinstance(agent, str) or not agent):
        raise EventError("ERR_MALFORMED", f"'agent' must be a non-empty string, got {agent!r}")
    number = o.get("number")
    if not isinstance(number, str):
        raise EventError("ERR_MALFORMED", f"'number' must be a string, got {number!r}")
    return CallbackRequest(
        _call_id(o),
        _str(o, "campaign"),
        _str(o, "queue"),
        number,
        _priority(o),
        None if due is None else float(due),
        agent,
        line=line,
    )


def _callback_result(o: dict[str, Any], line: int | None) -> CallbackResult:
    result = o.get("result")
    if result not in CALLBACK_RESULTS:
        raise EventError("ERR_BAD_RESULT", f"'result' must be one of {', '.join(CALLBACK_RESULTS)}")
    return CallbackResult(_str(o, "call"), str(result), line=line)


PARSERS_CALLS: dict[str, Any] = {
    "hold": lambda o, n: Hold(_str(o, "agent"), line=n),
    "resume": lambda o, n: Resume(_str(o, "agent"), line=n),
    "flash": lambda o, n: Flash(_str(o, "agent"), line=n),
    "consult": _consult,
    "consult_end": lambda o, n: ConsultEnd(_str(o, "agent"), line=n),
    "transfer": _transfer,
    "conference": lambda o, n: Conference(_str(o, "agent"), line=n),
    "wrapup_reason": lambda o, n: WrapupReason(_str(o, "agent"), _str(o, "code"), _by(o), line=n),
    "recording_pause": lambda o, n: RecordingPause(_str(o, "agent"), _by(o), line=n),
    "recording_resume": lambda o, n: RecordingResume(_str(o, "agent"), _by(o), line=n),
    "cad_set": _cad_set,
    "wall_clock": lambda o, n: WallClock(_str(o, "at"), line=n),
    "callback_request": _callback_request,
    "callback_result": _callback_result,
    "callback_cancel": lambda o, n: CallbackCancel(_str(o, "call"), line=n),
}

NAMES_CALLS: dict[type[Event], str] = {
    Hold: "hold",
    Resume: "resume",
    Flash: "flash",
    Consult: "consult",
    ConsultEnd: "consult_end",
    Transfer: "transfer",
    Conference: "conference",
    WrapupReason: "wrapup_reason",
    RecordingPause: "recording_pause",
    RecordingResume: "recording_resume",
    CadSet: "cad_set",
    WallClock: "wall_clock",
    CallbackRequest: "callback_request",
    CallbackResult: "callback_result",
    CallbackCancel: "callback_cancel",
}
