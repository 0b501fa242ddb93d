"""Journal records: what the ACD core did, in the exact shape of the DESIGN.md 2.5 contract.

A record is both the journal entry and the effect the service executes (OFFER_STARTED rings a
headset, STATUS_CHANGED repaints the LEDs): the core returns records as its actions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

# Field order of each record type, as printed (after seq, t, type).
FIELDS: dict[str, tuple[str, ...]] = {
    "CALL_ENQUEUED": ("call", "queue", "priority"),
    "OFFER_STARTED": ("agent", "call"),
    "OFFER_ENDED": ("agent", "call", "outcome"),
    "CALL_CONNECTED": ("agent", "call"),
    "CALL_ENDED": ("call", "agent", "reason"),
    "CALL_OVERFLOW": ("call", "reason"),
    "STATUS_CHANGED": ("agent", "from", "to", "reason", "origin"),
    "COUNTER_CHANGED": ("agent", "value"),
    "HOOK_CHANGED": ("agent", "off_hook"),
    "DEVICE_CHANGED": ("agent", "connected"),
    "LOGOUT_PENDING": ("agent", "remaining"),
    "LOGOUT_DONE": ("agent",),
    "DIALED": ("agent", "number"),
    "REJECTED": ("error", "line", "detail"),
    # in-call rules, wrap-up reasons, recording, CAD (docs/acd-calls.md)
    "HOLD_CHANGED": ("call", "party", "held"),
    "CONSULT_STARTED": ("agent", "call", "leg", "to", "target"),
    "CONFERENCE_STARTED": ("agent", "call", "leg"),
    "TRANSFER_STARTED": ("agent", "call", "to", "target"),
    "TRANSFER_COMPLETED": ("call", "from", "to"),
    "WRAPUP_REASON": ("agent", "code", "origin"),
    "RECORDING_PAUSED": ("agent", "call", "origin"),
    "RECORDING_RESUMED": ("agent", "call", "origin"),
    "CAD_CHANGED": ("agent", "call", "name", "value", "version"),
    "CAD_CONFLICT": ("agent", "call", "name", "value", "version"),
    # callbacks and the campaign calendar (docs/acd-calls.md)
    "WALL_CLOCK": ("at",),
    "CALLBACK_SCHEDULED": ("call", "campaign", "queue", "number", "priority", "due", "owner"),
    "CALLBACK_QUEUED": ("call",),
    "CALLBACK_DEFERRED": ("call", "due"),
    "CALLBACK_DIALING": ("agent", "call", "number", "attempt"),
    "CALLBACK_FAILED": ("call", "agent", "result", "attempts"),
}
# Fields a record type may carry beyond its contract fields, only when they say something.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "LOGOUT_PENDING": ("origin",),  # present only for a supervisor's logout
}


class RecordError(ValueError):
    """A stored record does not have the shape of its type (a corrupt or foreign journal)."""


def _number(t: float) -> float | int:
    return int(t) if math.isfinite(t) and t == int(t) else t


@dataclass(frozen=True, slots=True)
class Record:
    """One journal entry: `seq` (gap-free from 1), `t` (core clock, seconds), `type`, fields."""

    seq: int
    t: float
    type: str
    fields: tuple[tuple[str, Any], ...]

    def __getitem__(self, key: str) -> Any:
        for k, v in self.fields:
            if k == key:
                return v
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seq": self.seq, "t": _number(self.t), "type": self.type}
        for k, v in self.fields:
            out[k] = _number(v) if isinstance(v, float) else v
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        try:
            rtype = data["type"]
            names = FIELDS[rtype]
            seq, t = data["seq"], data["t"]
        except (KeyError, TypeError) as exc:
            raise RecordError(f"record lacks {exc} or has an unknown type: {data!r}") from None
        if not isinstance(seq, int) or not isinstance(t, int | float):
            raise RecordError(f"record has a bad seq or t: {data!r}")
        missing = [n for n in names if n not in data]
        if missing:
            raise RecordError(f"{rtype} record {seq} lacks {', '.join(missing)}")
        extra = tuple((n, data[n]) for n in OPTIONAL_FIELDS.get(rtype, ()) if n in data)
        return cls(seq, float(t), rtype, tuple((n, data[n]) for n in names) + extra)


def make(seq: int, t: float, rtype: str, **fields: Any) -> Record:
    """Build a record, checking the fields against the contract (a programming error if not)."""
    names = FIELDS[rtype]
    extra = tuple(k for k in fields if k not in names)
    allowed = OPTIONAL_FIELDS.get(rtype, ())
    if set(names) - fields.keys() or any(k not in allowed for k in extra):
        raise AssertionError(f"{rtype} takes {names}, got {sorted(fields)}")
    ordered = tuple((n, fields[n]) for n in names) + tuple((k, fields[k]) for k in extra)
    return Record(seq, t, rtype, ordered)
