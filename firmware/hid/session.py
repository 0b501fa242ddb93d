"""One open headset: a device from a backend plus the pure handshake's state.

`HeadsetSession` is the thin impure shell around `Handshake`: it performs the `WriteReport`
effects on the device and hands every effect back (writes included, in order) so callers can
log them or turn the requests into ACD events. It is used by `deskgate hid replay` (on a fake
device), `deskgate hid monitor` and the service bridge.
"""

from __future__ import annotations

from firmware.hid.backend import HidDevice
from firmware.hid.controls import Telephony, find_telephony
from firmware.hid.descriptor import parse_descriptor
from firmware.hid.handshake import (
    CallCommand,
    CallCommandName,
    Effect,
    Handshake,
    HeadsetState,
    InputReport,
    WriteReport,
)


class NotAHeadset(ValueError):
    """The descriptor has no telephony collection with call controls (gaming headset,
    keyboard, or an empty Telephony collection); the gateway ignores such devices."""


def telephony_of(descriptor: bytes) -> Telephony:
    """Parse and select. Raises `DescriptorError` or `NotAHeadset`."""
    telephony = find_telephony(parse_descriptor(descriptor))
    if telephony is None:
        raise NotAHeadset(
            "no telephony call controls (no Hook Switch, Phone Mute or Off-Hook LED "
            "in a Telephony Headset/Phone collection)"
        )
    return telephony


class HeadsetSession:
    """Drives one headset. Raises `DeviceGone` from device writes and `ReportError` for a
    report that does not fit the descriptor (the state is then unchanged)."""

    def __init__(self, device: HidDevice, handshake: Handshake) -> None:
        self.device = device
        self.handshake = handshake
        self.state = HeadsetState()
        self.detached = False

    @property
    def read_size(self) -> int:
        """Bytes to ask hidapi for: the longest report of the collection plus its id byte."""
        t = self.handshake.telephony
        return 1 + max([*t.input_reports.values(), *t.output_reports.values(), 64])

    @classmethod
    def open(cls, device: HidDevice, echo_window: float) -> tuple[HeadsetSession, list[Effect]]:
        """Read the descriptor, build the handshake, write the idle state."""
        session = cls(device, Handshake(telephony_of(device.report_descriptor()), echo_window))
        state, effects = session.handshake.open()
        session.state = state
        return session, session._perform(effects)

    def reattach(self, device: HidDevice) -> list[Effect]:
        """The seat's headset plugged in again (or another model in its place): keep the call
        state, replay every LED. Raises `DescriptorError`, `NotAHeadset`, `DeviceGone`."""
        telephony = telephony_of(device.report_descriptor())
        if telephony != self.handshake.telephony:
            self.handshake = Handshake(telephony, self.handshake.echo_window)
        self.device = device
        self.detached = False
        self.state, effects = self.handshake.reopen(self.state)
        return self._perform(effects)

    def detach(self) -> None:
        """The headset is gone: keep following call commands, write nothing until reattached."""
        self.detached = True

    def feed(self, data: bytes, now: float) -> list[Effect]:
        self.state, effects = self.handshake.step(self.state, InputReport(data), now)
        return self._perform(effects)

    def command(self, call: CallCommandName, now: float) -> list[Effect]:
        self.state, effects = self.handshake.step(self.state, CallCommand(call), now)
        return self._perform(effects)

    def _perform(self, effects: list[Effect]) -> list[Effect]:
        if self.detached:
            return [e for e in effects if not isinstance(e, WriteReport)]
        for effect in effects:
            if isinstance(effect, WriteReport):
                self.device.write(effect.data)
        return effects
