"""The per-headset hook/mute handshake as a pure state machine (DESIGN.md 3).

The host owns call state. `Handshake.step(state, event, now)` takes an input report or a call
command and returns the new state and the effects, in order: requests to the gateway
(`HookRequest`, `MuteChanged`, `FlashPressed`, `RejectPressed`) and `WriteReport`s for the device.

Transitions, as a table (edges are 0→1 changes of the bit; "abs" / "rel" is the descriptor's
Relative flag; the first report of each report id after open is only a baseline):

| input                       | when                   | effects                          |
|-----------------------------|------------------------|----------------------------------|
| hook_switch abs level change | not our Off-Hook echo | HookRequest(level)               |
| hook_switch rel edge        | —                      | HookRequest(not off_hook)        |
| phone_mute rel edge         | call answered          | MuteChanged, WriteReport(mute)   |
| flash edge                  | —                      | FlashPressed                     |
| drop / reject_button edge   | ringing                | RejectPressed                    |
| call ring                   | —                      | Ring LED + Ringer on             |
| call answer                 | —                      | Off-Hook on; Ring, Ringer off    |
| call hangup / idle          | —                      | Off-Hook, Mute, Ring, Ringer off |

Echo: for `echo_window` seconds after the gateway wrote an Off-Hook change, an input whose hook
level equals what was written is the device confirming it, not a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from firmware.hid.controls import Telephony
from firmware.hid.report import ControlValues, ReportCodec

CallCommandName = Literal["ring", "answer", "hangup", "idle"]
CALL_COMMANDS: tuple[CallCommandName, ...] = ("ring", "answer", "hangup", "idle")
DEFAULT_ECHO_WINDOW = 0.5


# --- events in -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InputReport:
    """Raw bytes read from the device (report id first when reports are numbered)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class CallCommand:
    """Call state decided by the gateway for this headset's agent."""

    call: CallCommandName


# --- effects out -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HookRequest:
    off_hook: bool


@dataclass(frozen=True, slots=True)
class MuteChanged:
    muted: bool


@dataclass(frozen=True, slots=True)
class FlashPressed:
    pass


@dataclass(frozen=True, slots=True)
class RejectPressed:
    pass


@dataclass(frozen=True, slots=True)
class WriteReport:
    data: bytes


Effect = HookRequest | MuteChanged | FlashPressed | RejectPressed | WriteReport
Event = InputReport | CallCommand


@dataclass(frozen=True)
class HeadsetState:
    """Everything the handshake remembers about one headset. Treat as immutable.

    `lit` is the set of output controls the gateway has on; `last` holds the previous values of
    each input report id (absent = next report of that id is a baseline).
    """

    lit: frozenset[str] = frozenset()
    ringing: bool = False
    answered: bool = False
    muted: bool = False
    off_hook: bool = False
    last: dict[int, ControlValues] = field(default_factory=dict)
    echo_level: bool | None = None
    echo_until: float = float("-inf")


class Handshake:
    """The handshake for one headset layout. Stateless itself; the state is a `HeadsetState`.

    Raises `firmware.hid.report.ReportError` (from decoding) for a report that does not fit the
    descriptor; the state is then unchanged.
    """

    def __init__(self, telephony: Telephony, echo_window: float = DEFAULT_ECHO_WINDOW) -> None:
        self.telephony = telephony
        self.codec = ReportCodec(telephony)
        self.echo_window = echo_window
        names = {c.name for c in telephony.controls}
        self._mute_led = "mute_led" if "mute_led" in names else "microphone_led"
        self._hook_relative = bool(
            (hook := telephony.control("hook_switch")) is not None and hook.relative
        )
        mute = telephony.control("phone_mute")
        self._mute_relative = mute is None or mute.relative

    # -- open / re-open ------------------------------------------------------------------------
    def open(self) -> tuple[HeadsetState, list[Effect]]:
        """The idle state and the writes that put the device in it (every output report)."""
        state = HeadsetState()
        return state, self._write_all(state.lit)

    def reopen(self, state: HeadsetState) -> tuple[HeadsetState, list[Effect]]:
        """After a re-plug: keep the call state, take a new baseline, replay every LED.

        `state` may come from a headset of another layout (a different model plugged into the
        same seat): the lit LEDs are carried over by name, the mute indicator by meaning."""
        lit = set(state.lit)
        if state.muted:
            lit -= {"mute_led", "microphone_led"}
            lit.add(self._mute_led)
        kept = frozenset(n for n in lit if n in self.codec.output_report_of)
        return replace(state, lit=kept, last={}, echo_level=None), self._write_all(kept)

    def _write_all(self, lit: frozenset[str]) -> list[Effect]:
        return [WriteReport(self.codec.encode(rid, lit)) for rid in sorted(self.codec.output_sizes)]

    # -- step -----------------------------------------------------------------------------------
    def step(
        self, state: HeadsetState, event: Event, now: float
    ) -> tuple[HeadsetState, list[Effect]]:
        if isinstance(event, CallCommand):
            return self._call(state, event.call, now)
        return self._report(state, event.data, now)

    def _changed_writes(self, before: frozenset[str], after: frozenset[str]) -> list[Effect]:
        touched = {self.codec.output_report_of[n] for n in before ^ after}
        out: list[Effect] = []
        for rid in sorted(touched):
            old, new = self.codec.encode(rid, before), self.codec.encode(rid, after)
            if old != new:
                out.append(WriteReport(new))
        return out

    def _call(
        self, state: HeadsetState, call: CallCommandName, now: float
    ) -> tuple[HeadsetState, list[Effect]]:
        lit = set(state.lit)
        if call == "ring":
            lit |= {"ring_led", "ringer"}
            new = replace(state, ringing=True)
        elif call == "answer":
            lit -= {"ring_led", "ringer"}
            lit.add("off_hook_led")
            new = replace(state, ringing=False, answered=True, off_hook=True)
        else:  # hangup, idle
            lit -= {"off_hook_led", self._mute_led, "ring_led", "ringer"}
            new = replace(state, ringing=False, answered=False, muted=False, off_hook=False)
        after = frozenset(n for n in lit if n in self.codec.output_report_of)
        new = replace(new, lit=after)
        if ("off_hook_led" in state.lit) != ("off_hook_led" in after):
            new = replace(
                new, echo_level="off_hook_led" in after, echo_until=now + self.echo_window
            )
        return new, self._changed_writes(state.lit, after)

    def _report(
        self, state: HeadsetState, data: bytes, now: float
    ) -> tuple[HeadsetState, list[Effect]]:
        values = self.codec.decode(data)
        if values is None:
            return state, []
        previous = state.last.get(values.report_id)
        if previous == values:  # a repeated report changes nothing
            return state, []
        last = dict(state.last)
        last[values.report_id] = values
        state = replace(state, last=last)
        if previous is None:  # baseline
            hook = values.get("hook_switch")
            if hook is not None and not self._hook_relative:
                state = replace(state, off_hook=bool(hook))
            return state, []
        effects: list[Effect] = []
        state = self._hook(state, previous, values, now, effects)
        state = self._mute(state, previous, values, effects)
        if _edge(previous, values, "flash"):
            effects.append(FlashPressed())
        if state.ringing and (
            _edge(previous, values, "drop") or _edge(previous, values, "reject_button")
        ):
            effects.append(RejectPressed())
        return state, effects

    def _hook(
        self,
        state: HeadsetState,
        previous: ControlValues,
        values: ControlValues,
        now: float,
        effects: list[Effect],
    ) -> HeadsetState:
        if self._hook_relative:
            if _edge(previous, values, "hook_switch"):
                effects.append(HookRequest(not state.off_hook))
                return replace(state, off_hook=not state.off_hook)
            return state
        level, before = values.get("hook_switch"), previous.get("hook_switch")
        if level is None or level == before:
            return state
        off_hook = bool(level)
        if state.echo_level is off_hook and now <= state.echo_until:
            return replace(state, off_hook=off_hook)  # the device confirming our write
        effects.append(HookRequest(off_hook))
        return replace(state, off_hook=off_hook)

    def _mute(
        self,
        state: HeadsetState,
        previous: ControlValues,
        values: ControlValues,
        effects: list[Effect],
    ) -> HeadsetState:
        if self._mute_relative:
            pressed = _edge(previous, values, "phone_mute")
            muted = not state.muted
        else:  # a mute switch reporting its level (none of the known headsets does this)
            level, before = values.get("phone_mute"), previous.get("phone_mute")
            pressed = level is not None and level != before and bool(level) != state.muted
            muted = bool(level)
        if not pressed or not state.answered:
            return state
        lit = set(state.lit)
        if muted:
            lit.add(self._mute_led)
        else:
            lit.discard(self._mute_led)
        after = frozenset(n for n in lit if n in self.codec.output_report_of)
        effects.append(MuteChanged(muted))
        rid = self.codec.output_report_of.get(self._mute_led)
        if rid is not None:
            effects.append(WriteReport(self.codec.encode(rid, after)))
        return replace(state, muted=muted, lit=after)


def _edge(previous: ControlValues, values: ControlValues, name: str) -> bool:
    """True on a 0→1 change of the control (absent controls never have edges)."""
    now = values.get(name)
    return bool(now) and not previous.get(name)
