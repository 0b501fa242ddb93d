"""Shared helpers for the HID tests: the 14 real descriptors and the independent SUMMARY.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from firmware.hid.descriptor import parse_hex_text

DATA = Path(__file__).resolve().parent.parent / "data" / "hid"
DESCRIPTOR_FILES = sorted(p.name for p in DATA.glob("*.txt") if p.name != "SUMMARY.txt")
NEGATIVES = ("logitech_g535_046d-0ac4.txt", "razer_kraken_kitty_v2_1532-0560.txt")
HEADSETS = tuple(n for n in DESCRIPTOR_FILES if n not in NEGATIVES)

JABRA_380C = "jabra_link_380c_0b0e-24c9.txt"
POLY_C5220 = "poly_blackwire_c5220_047f-c053.txt"
EPOS_DW = "epos_impact_dw_d_1395-00a2_00a9.txt"
YEALINK_WH66 = "yealink_wh66_6993-b02b.txt"

# SUMMARY.txt names → our control names (names not listed are not call controls for us).
SUMMARY_NAMES = {
    "Hook Switch": "hook_switch",
    "Phone Mute": "phone_mute",
    "Flash": "flash",
    "Drop": "drop",
    "Redial": "redial",
    "Programmable Button": "reject_button",
    "LED Off-Hook": "off_hook_led",
    "LED Mute": "mute_led",
    "LED Microphone": "microphone_led",
    "LED Ring": "ring_led",
    "LED Hold": "hold_led",
    "Ringer": "ringer",
}


@cache
def descriptor_bytes(name: str) -> bytes:
    return parse_hex_text((DATA / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SummaryField:
    direction: str
    report_id: int
    bit: int
    size: int
    name: str
    relative: bool


@dataclass
class SummaryEntry:
    fields: list[SummaryField]  # telephony section only
    reports: dict[tuple[str, int], int]  # (type, id) -> bits


_FIELD = re.compile(
    r"^\s+(Input|Output|Feature)\s+rid=(\d+)\s+bit\s+(\d+) \(byte \d+ bit \d+\) size (\d+)\s+"
    r"(.+?)\s+((?:Data|Cnst)[A-Za-z,]*) \(0x[0-9A-F]{2}\)"
)
_REPORTS = re.compile(r"^\s+(Input|Output|Feature)\s+reports: (.*)$")


@cache
def summary() -> dict[str, SummaryEntry]:
    out: dict[str, SummaryEntry] = {}
    entry: SummaryEntry | None = None
    section = ""
    for line in (DATA / "SUMMARY.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            entry = out[line.split()[1]] = SummaryEntry([], {})
            continue
        if entry is None:
            continue
        if line.startswith("  [") and line.strip().endswith("]"):
            section = line.strip()
            continue
        if m := _REPORTS.match(line):
            for item in m.group(2).split():
                rid, bits = item.removeprefix("id").split("=")
                entry.reports[(m.group(1).lower(), int(rid))] = int(bits.split("b")[0])
            continue
        m = _FIELD.match(line)
        if m and section == "[Telephony:0x05]" and m.group(5) in SUMMARY_NAMES:
            entry.fields.append(
                SummaryField(
                    direction=m.group(1).lower(),
                    report_id=int(m.group(2)),
                    bit=int(m.group(3)),
                    size=int(m.group(4)),
                    name=SUMMARY_NAMES[m.group(5)],
                    relative="Rel" in m.group(6).split(","),
                )
            )
    return out
