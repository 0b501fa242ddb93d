"""Find a headset's telephony call controls in a parsed report descriptor.

A headset may expose several collections that look like telephony: the real one (Telephony page
0x0B, usage Headset 0x05 or Phone 0x01), vendor "shadow" copies on vendor pages (Jabra/GN
0xFF30/0xFF40, Yealink 0xFF30, EPOS 0xFF13/0xFF95), Teams collections (0xFF99), and sometimes an
empty Telephony application collection (Razer Kraken Kitty V2 ends with ``05 0B 09 05 A1 01
C0``). Only a top-level application collection with usage 0x0B:0x05 or 0x0B:0x01 that really
holds Hook Switch, Phone Mute or an Off-Hook LED is selected; nested collections inside it count
as part of it (EPOS IMPACT D1 / DW nest a vendor Application collection in the telephony one).
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.hid.descriptor import APPLICATION, ReportDescriptor, ReportType, Usage

TELEPHONY, LED, BUTTON = 0x0B, 0x08, 0x09

TELEPHONY_APPLICATIONS = (Usage(TELEPHONY, 0x05), Usage(TELEPHONY, 0x01))  # Headset, Phone

INPUT_CONTROLS: dict[Usage, str] = {
    Usage(TELEPHONY, 0x20): "hook_switch",
    Usage(TELEPHONY, 0x2F): "phone_mute",
    Usage(TELEPHONY, 0x21): "flash",
    Usage(TELEPHONY, 0x26): "drop",
    Usage(TELEPHONY, 0x24): "redial",
    # `Usage(07) Usage Page(Button)`: Chromium reads Telephony Programmable Button, the kernel
    # and Windows read Button 7. Same bit either way, so both are the reject button.
    Usage(TELEPHONY, 0x07): "reject_button",
    Usage(BUTTON, 0x07): "reject_button",
}

OUTPUT_CONTROLS: dict[Usage, str] = {
    Usage(LED, 0x17): "off_hook_led",
    Usage(LED, 0x09): "mute_led",
    Usage(LED, 0x21): "microphone_led",
    Usage(LED, 0x18): "ring_led",
    Usage(LED, 0x20): "hold_led",
    Usage(TELEPHONY, 0x9E): "ringer",
}

CALL_CONTROL_NAMES = frozenset({"hook_switch", "phone_mute", "off_hook_led"})


@dataclass(frozen=True, slots=True)
class Control:
    """One telephony control: where its bits are in which report.

    `bit` counts from the first payload byte (after the report id); `report_id` is 0 when the
    descriptor does not number its reports. `relative` is the Main item's Relative flag: a
    relative input is a pulse (act on its 0→1 edge), an absolute one a level.
    """

    name: str
    direction: str  # "input" or "output"
    report_id: int
    bit: int
    size: int
    relative: bool

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "direction": self.direction,
            "report_id": self.report_id,
            "bit": self.bit,
            "size": self.size,
            "relative": self.relative,
        }


@dataclass(frozen=True, slots=True)
class Telephony:
    """The selected telephony collection of one headset: its controls and its report layout.

    `output_reports` maps every output report id of the collection to its payload length in
    bytes (the gateway writes each one whole); `input_reports` likewise for input reports.
    """

    collection: int
    usage: Usage
    controls: tuple[Control, ...]
    output_reports: dict[int, int]
    input_reports: dict[int, int]
    numbered: bool

    def control(self, name: str) -> Control | None:
        for c in self.controls:
            if c.name == name:
                return c
        return None

    def inputs(self) -> tuple[Control, ...]:
        return tuple(c for c in self.controls if c.direction == "input")

    def outputs(self) -> tuple[Control, ...]:
        return tuple(c for c in self.controls if c.direction == "output")


def _controls_of(desc: ReportDescriptor, top: int) -> tuple[Control, ...]:
    found: dict[str, Control] = {}
    for f in desc.fields:
        if desc.top_level(f.collection) != top or f.report_type is ReportType.FEATURE:
            continue
        table = INPUT_CONTROLS if f.report_type is ReportType.INPUT else OUTPUT_CONTROLS
        direction = f.report_type.value
        # Jabra Link 380c flags Hook Switch, Line and Phone Mute as Constant (Input 0x23 /
        # 0x07): a field carrying a telephony usage is read whatever its Constant flag says.
        if f.variable:
            slots = [(i, f.usage_at(i)) for i in range(f.count)]
        elif f.count == 1 and f.size == 1 and f.usages:
            # EPOS IMPACT D1/DW/D: Programmable Button as a 1-bit, one-value array
            # (`09 07 05 09 09 01 ... 81 40`): the bit set means its first usage is pressed.
            slots = [(0, f.usages[0])]
        else:
            continue
        for i, usage in slots:
            name = table.get(usage) if usage is not None else None
            if name is None or name in found:
                continue
            found[name] = Control(
                name=name,
                direction=direction,
                report_id=f.report_id,
                bit=f.bit_offset + i * f.size,
                size=f.size,
                relative=f.relative,
            )
    return tuple(
        sorted(
            found.values(),
            key=lambda c: (c.direction != "input", c.report_id, c.bit),
        )
    )


def _report_sizes(desc: ReportDescriptor, top: int, report_type: ReportType) -> dict[int, int]:
    ids = sorted(
        {
            f.report_id
            for f in desc.fields
            if f.report_type is report_type and desc.top_level(f.collection) == top
        }
    )
    return {rid: desc.report_bytes(report_type, rid) for rid in ids}


def find_telephony(desc: ReportDescriptor) -> Telephony | None:
    """The collection that carries the call controls, or None (gaming headset, keyboard, or an
    empty Telephony collection). Where several qualify, the one with most controls wins, then
    the first."""
    best: Telephony | None = None
    for c in desc.collections:
        if c.parent is not None or c.kind != APPLICATION or c.usage not in TELEPHONY_APPLICATIONS:
            continue
        controls = _controls_of(desc, c.index)
        if not CALL_CONTROL_NAMES.intersection(x.name for x in controls):
            continue
        if best is not None and len(best.controls) >= len(controls):
            continue
        assert c.usage is not None
        best = Telephony(
            collection=c.index,
            usage=c.usage,
            controls=controls,
            output_reports=_report_sizes(desc, c.index, ReportType.OUTPUT),
            input_reports=_report_sizes(desc, c.index, ReportType.INPUT),
            numbered=desc.numbered,
        )
    return best
