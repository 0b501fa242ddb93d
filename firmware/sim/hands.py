"""A person's hands on a simulated headset: hook, mute and reject become the input reports the
real device would send, built from its own descriptor (so a relative hook pulses and an
absolute one holds its level, as on the hardware)."""

from __future__ import annotations

from firmware.hid.controls import Control
from firmware.hid.fake import FakeHeadset
from firmware.hid.report import write_bits
from firmware.hid.session import telephony_of


class Hands:
    """Drives one `FakeHeadset`. Raises `NotAHeadset`/`DescriptorError` at construction for a
    descriptor without call controls; presses on a missing control do nothing."""

    def __init__(self, headset: FakeHeadset) -> None:
        self.headset = headset
        self.telephony = telephony_of(headset.descriptor)
        self.off_hook = False
        self._levels: dict[int, bytearray] = {
            rid: bytearray(size) for rid, size in self.telephony.input_reports.items()
        }

    @property
    def path(self) -> str:
        return self.headset.info.path

    def _report(self, rid: int) -> bytes:
        payload = bytes(self._levels[rid])
        return (bytes([rid]) if self.telephony.numbered else b"") + payload

    def baseline(self) -> None:
        """Send the resting state of every input report (the handshake's baseline)."""
        for rid in self._levels:
            self.headset.press(self._report(rid))

    def _set(self, control: Control, value: int) -> None:
        write_bits(self._levels[control.report_id], control.bit, control.size, value)
        self.headset.press(self._report(control.report_id))

    def _pulse(self, name: str) -> bool:
        control = self.telephony.control(name)
        if control is None or control.direction != "input":
            return False
        self._set(control, 1)
        self._set(control, 0)
        return True

    def hook(self, off_hook: bool | None = None) -> bool:
        """Lift (True), put down (False) or toggle (None) the handset; False if no change."""
        want = (not self.off_hook) if off_hook is None else off_hook
        if want == self.off_hook:
            return False
        control = self.telephony.control("hook_switch")
        if control is None:
            return False
        self.off_hook = want
        if control.relative:
            self._set(control, 1)
            self._set(control, 0)
        else:
            self._set(control, int(want))
        return True

    def mute(self) -> bool:
        return self._pulse("phone_mute")

    def reject(self) -> bool:
        return self._pulse("reject_button") or self._pulse("drop")
