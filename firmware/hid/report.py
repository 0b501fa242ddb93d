"""Raw HID reports at the edge: split off the report id, read and write control bits.

Pure (no hidapi). `ReportCodec` is built once per headset from its `Telephony` layout and turns an
input report into `ControlValues` (a frozen snapshot of every telephony input in that report),
and a set of lit LEDs into whole output reports sized from the descriptor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from firmware.hid.controls import Control, Telephony


class ReportError(ValueError):
    """An input report that does not fit the descriptor. The message names the byte offset in
    the report (report id byte included) and what was expected there."""

    def __init__(self, offset: int, expected: str) -> None:
        super().__init__(f"report offset {offset}: {expected}")
        self.offset = offset


def write_bits(buf: bytearray, bit: int, size: int, value: int) -> None:
    """Store `value` in `size` bits at `bit` of `buf` (LSB first), leaving other bits alone."""
    first, last = bit >> 3, (bit + size + 7) >> 3
    shift, mask = bit & 7, ((1 << size) - 1) << (bit & 7)
    word = int.from_bytes(buf[first:last], "little")
    word = (word & ~mask) | ((value << shift) & mask)
    buf[first:last] = word.to_bytes(last - first, "little")


def hex_bytes(data: bytes) -> str:
    """``b"\\x02\\x88\\x00"`` → ``"02 88 00"`` (the form used in replay scripts)."""
    return data.hex(" ").upper()


@dataclass(frozen=True, slots=True)
class ControlValues:
    """The telephony inputs carried by one input report: (name, value) pairs in control order."""

    report_id: int
    values: tuple[tuple[str, int], ...]

    def get(self, name: str) -> int | None:
        for n, v in self.values:
            if n == name:
                return v
        return None


class ReportCodec:
    """Decodes a headset's telephony input reports and encodes its output reports.

    Raises `ReportError` for an empty report or one shorter than its descriptor says.
    """

    def __init__(self, telephony: Telephony) -> None:
        self.numbered = telephony.numbered
        self.output_sizes = dict(telephony.output_reports)
        self._input_sizes = dict(telephony.input_reports)
        # Per input report id: (name, first byte, byte after last, shift, mask) per control.
        self._inputs: dict[int, tuple[tuple[str, int, int, int, int], ...]] = {}
        for c in telephony.inputs():
            plan = (c.name, c.bit >> 3, (c.bit + c.size + 7) >> 3, c.bit & 7, (1 << c.size) - 1)
            self._inputs[c.report_id] = (*self._inputs.get(c.report_id, ()), plan)
        self._outputs: dict[int, tuple[Control, ...]] = {}
        for c in telephony.outputs():
            self._outputs[c.report_id] = (*self._outputs.get(c.report_id, ()), c)
        self.output_report_of = {c.name: c.report_id for c in telephony.outputs()}

    def decode(self, data: bytes) -> ControlValues | None:
        """The telephony inputs of one input report, or None when its report id carries none."""
        if self.numbered:
            if not data:
                raise ReportError(0, "a report id byte, got an empty report")
            rid, payload, head = data[0], data[1:], 1
        else:
            rid, payload, head = 0, data, 0
        plans = self._inputs.get(rid)
        if plans is None:
            return None
        need = self._input_sizes.get(rid, 0)
        if len(payload) < need:
            raise ReportError(
                head + len(payload),
                f"{need} payload byte(s) for input report {rid}, got {len(payload)}",
            )
        values = []
        for name, first, last, shift, mask in plans:
            if last - first == 1:
                values.append((name, (payload[first] >> shift) & mask))
            else:
                word = int.from_bytes(payload[first:last], "little")
                values.append((name, (word >> shift) & mask))
        return ControlValues(rid, tuple(values))

    def encode(self, report_id: int, lit: Iterable[str]) -> bytes:
        """Output report `report_id` written whole: each owned control in `lit` set to 1, every
        other bit 0; the report id byte first when the descriptor numbers its reports."""
        buf = bytearray(self.output_sizes.get(report_id, 0))
        on = set(lit)
        for c in self._outputs.get(report_id, ()):
            if c.name in on:
                write_bits(buf, c.bit, c.size, 1)
        return bytes([report_id]) + bytes(buf) if self.numbered else bytes(buf)
