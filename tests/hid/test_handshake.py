"""The hook/mute handshake (DESIGN.md 3) replayed on fake devices built from real descriptors,
with the exact output report bytes each headset would receive."""

from __future__ import annotations

import json
from typing import Any

from firmware.hid.replay import run_script
from tests.hid.fixtures import EPOS_DW, JABRA_380C, POLY_C5220, YEALINK_WH66, descriptor_bytes


def replay(name_or_bytes: str | bytes, script: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = descriptor_bytes(name_or_bytes) if isinstance(name_or_bytes, str) else name_or_bytes
    return list(run_script(data, [json.dumps(line) for line in script]))


def without_open(out: list[dict[str, Any]], n_open: int) -> list[dict[str, Any]]:
    return out[n_open:]


# --- Jabra Link 380c: the DESIGN.md example, byte for byte ---------------------------------


def test_jabra_380c_design_example() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 1, "call": "ring"},
            {"t": 2, "in": "02 01 00"},
            {"t": 2, "call": "answer"},
            {"t": 5, "in": "02 09 00"},
            {"t": 5.1, "in": "02 01 00"},
            {"t": 9, "in": "02 00 00"},
            {"t": 9, "call": "hangup"},
        ],
    )
    assert out == [
        {"t": 0, "out": "02 00 00"},  # idle at open
        {"t": 1, "out": "02 88 00"},  # Ring b3 + Ringer b7
        {"t": 2, "event": "hook", "off_hook": True},
        {"t": 2, "out": "02 01 00"},  # Off-Hook
        {"t": 5, "event": "mute", "muted": True},
        {"t": 5, "out": "02 05 00"},  # Off-Hook + Mute b2
        {"t": 9, "event": "hook", "off_hook": False},
        {"t": 9, "out": "02 00 00"},
    ]


def test_jabra_380c_mute_toggles_back_and_doubled_pulse_counts_once() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 1, "call": "answer"},
            {"t": 1.2, "in": "02 01 00"},  # echo of our Off-Hook write
            {"t": 2, "in": "02 09 00"},
            {"t": 2.001, "in": "02 09 00"},  # the same pulse reported twice
            {"t": 2.002, "in": "02 01 00"},
            {"t": 3, "in": "02 09 00"},
            {"t": 3.001, "in": "02 01 00"},
            {"t": 4, "in": "02 01 00"},  # identical absolute report: nothing
        ],
    )
    assert without_open(out, 1) == [
        {"t": 1, "out": "02 01 00"},
        {"t": 2, "event": "mute", "muted": True},
        {"t": 2, "out": "02 05 00"},
        {"t": 3, "event": "mute", "muted": False},
        {"t": 3, "out": "02 01 00"},
    ]


def test_no_mute_while_on_hook_and_hangup_resets_mute() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 1, "in": "02 08 00"},  # mute pulse, no call: nothing at all
            {"t": 1.1, "in": "02 00 00"},
            {"t": 2, "call": "answer"},
            {"t": 2.1, "in": "02 01 00"},  # echo
            {"t": 3, "in": "02 09 00"},
            {"t": 3.1, "in": "02 01 00"},
            {"t": 4, "call": "hangup"},
            {"t": 5, "call": "answer"},  # a new call starts unmuted
        ],
    )
    assert without_open(out, 1) == [
        {"t": 2, "out": "02 01 00"},
        {"t": 3, "event": "mute", "muted": True},
        {"t": 3, "out": "02 05 00"},
        {"t": 4, "out": "02 00 00"},
        {"t": 5, "out": "02 01 00"},
    ]


def test_echo_within_window_is_not_an_event_but_a_late_one_is() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 10, "call": "answer"},
            {"t": 10.4, "in": "02 01 00"},  # echo: the headset confirms our Off-Hook
            {"t": 20, "in": "02 00 00"},  # a real hang-up request
            {"t": 20, "call": "hangup"},
            {"t": 30, "call": "answer"},
            {"t": 31, "in": "02 01 00"},  # 1 s later: outside the 0.5 s window
        ],
    )
    assert without_open(out, 1) == [
        {"t": 10, "out": "02 01 00"},
        {"t": 20, "event": "hook", "off_hook": False},
        {"t": 20, "out": "02 00 00"},
        {"t": 30, "out": "02 01 00"},
        {"t": 31, "event": "hook", "off_hook": True},
    ]


def test_echo_of_the_other_level_is_an_event() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 01 00"},  # baseline: off hook, no event
            {"t": 1, "call": "hangup"},  # nothing lit: no bytes change, no write
            {"t": 2, "call": "answer"},
            {"t": 2.1, "in": "02 00 00"},  # within the window but not what we wrote
        ],
    )
    assert without_open(out, 1) == [
        {"t": 2, "out": "02 01 00"},
        {"t": 2.1, "event": "hook", "off_hook": False},
    ]


def test_flash_and_reject_button() -> None:
    out = replay(
        JABRA_380C,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 1, "in": "02 00 08"},  # Button 7 (bit 11) while idle: nothing
            {"t": 1.1, "in": "02 00 00"},
            {"t": 2, "call": "ring"},
            {"t": 3, "in": "02 00 08"},  # while ringing: reject
            {"t": 3, "call": "idle"},
            {"t": 4, "in": "02 10 08"},  # flash edge (bit 4), button still held
        ],
    )
    assert without_open(out, 1) == [
        {"t": 2, "out": "02 88 00"},
        {"t": 3, "event": "reject"},
        {"t": 3, "out": "02 00 00"},
        {"t": 4, "event": "flash"},
    ]


# --- Poly Blackwire C5220: one output report per LED --------------------------------------------


def test_poly_c5220_full_call() -> None:
    out = replay(
        POLY_C5220,
        [
            {"t": 0, "in": "08 00"},
            {"t": 1, "call": "ring"},
            {"t": 2, "in": "08 02"},  # Hook Switch is bit 1
            {"t": 2, "call": "answer"},
            {"t": 2.2, "in": "08 02"},
            {"t": 5, "in": "08 03"},  # Phone Mute pulse, bit 0
            {"t": 5.1, "in": "08 02"},
            {"t": 6, "in": "08 03"},
            {"t": 6.1, "in": "08 02"},
            {"t": 9, "in": "08 00"},
            {"t": 9, "call": "hangup"},
            {"t": 10, "in": "08 01"},  # mute pulse on hook: nothing
        ],
    )
    assert out == [
        # idle: every output report of the telephony collection, ascending report id
        {"t": 0, "out": "09 00"},
        {"t": 0, "out": "17 00"},
        {"t": 0, "out": "18 00"},
        {"t": 0, "out": "1A 00"},
        {"t": 0, "out": "20 00"},
        {"t": 0, "out": "2A 00"},
        {"t": 1, "out": "18 01"},  # Ring LED (no Ringer on this model)
        {"t": 2, "event": "hook", "off_hook": True},
        {"t": 2, "out": "17 01"},  # Off-Hook
        {"t": 2, "out": "18 00"},  # Ring off
        {"t": 5, "event": "mute", "muted": True},
        {"t": 5, "out": "09 01"},
        {"t": 6, "event": "mute", "muted": False},
        {"t": 6, "out": "09 00"},
        {"t": 9, "event": "hook", "off_hook": False},
        {"t": 9, "out": "17 00"},
    ]


# --- EPOS IMPACT DW / D: hook at bit 2, Ringer at bit 0 of output report 3 ------------------------


def test_epos_impact_dw_full_call() -> None:
    out = replay(
        EPOS_DW,
        [
            {"t": 0, "in": "02 00"},
            {"t": 1, "call": "ring"},
            {"t": 1.5, "in": "02 03"},  # Consumer volume bits 0-1: not telephony
            {"t": 2, "in": "02 04"},
            {"t": 2, "call": "answer"},
            {"t": 5, "in": "02 24"},  # Phone Mute bit 5
            {"t": 5.1, "in": "02 04"},
            {"t": 9, "in": "02 00"},
            {"t": 9, "call": "hangup"},
            {"t": 10, "in": "02 20"},  # mute pulse on hook: nothing
        ],
    )
    assert out == [
        {"t": 0, "out": "03 00"},
        {"t": 1, "out": "03 09"},  # Ringer b0 + Ring b3
        {"t": 2, "event": "hook", "off_hook": True},
        {"t": 2, "out": "03 02"},  # Off-Hook b1
        {"t": 5, "event": "mute", "muted": True},
        {"t": 5, "out": "03 12"},  # Off-Hook b1 + Mute b4
        {"t": 9, "event": "hook", "off_hook": False},
        {"t": 9, "out": "03 00"},
    ]


def test_epos_drop_while_ringing_rejects() -> None:
    out = replay(
        EPOS_DW,
        [
            {"t": 0, "in": "02 00"},
            {"t": 1, "call": "ring"},
            {"t": 2, "in": "02 40"},  # Drop bit 6
            {"t": 2, "call": "idle"},
        ],
    )
    assert without_open(out, 1) == [
        {"t": 1, "out": "03 09"},
        {"t": 2, "event": "reject"},
        {"t": 2, "out": "03 00"},
    ]


# --- Yealink WH66: 2-byte reports, shadow collection ignored -------------------------------------


def test_yealink_wh66_full_call() -> None:
    out = replay(
        YEALINK_WH66,
        [
            {"t": 0, "in": "02 00 00"},
            {"t": 1, "call": "ring"},
            {"t": 2, "in": "02 01 00"},
            {"t": 2, "call": "answer"},
            {"t": 2.3, "in": "02 01 00"},
            {"t": 5, "in": "02 05 00"},  # Phone Mute bit 2
            {"t": 5.1, "in": "02 01 00"},
            {"t": 7, "in": "02 05 00"},
            {"t": 7.1, "in": "02 01 00"},
            {"t": 9, "in": "02 00 00"},
            {"t": 9, "call": "hangup"},
            {"t": 10, "in": "02 04 00"},  # on hook: no mute
        ],
    )
    assert out == [
        {"t": 0, "out": "02 00 00"},
        {"t": 1, "out": "02 24 00"},  # Ring b2 + Ringer b5
        {"t": 2, "event": "hook", "off_hook": True},
        {"t": 2, "out": "02 01 00"},
        {"t": 5, "event": "mute", "muted": True},
        {"t": 5, "out": "02 03 00"},  # Off-Hook + Mute b1
        {"t": 7, "event": "mute", "muted": False},
        {"t": 7, "out": "02 01 00"},
        {"t": 9, "event": "hook", "off_hook": False},
        {"t": 9, "out": "02 00 00"},
    ]


def test_yealink_vendor_shadow_report_4_is_not_decoded() -> None:
    out = replay(
        YEALINK_WH66,
        [
            {"t": 0, "in": "04 00 00"},
            {"t": 1, "in": "04 01 00"},  # the vendor mirror's hook: not ours
            {"t": 2, "in": "02 00 00"},
            {"t": 3, "in": "02 01 00"},
        ],
    )
    assert without_open(out, 1) == [{"t": 3, "event": "hook", "off_hook": True}]


# --- a headset with no report ids, a relative hook and only a Microphone LED ------------------

RELATIVE_HOOK_NO_IDS = bytes(
    [
        0x05, 0x0B,  # Usage Page (Telephony)
        0x09, 0x05,  # Usage (Headset)
        0xA1, 0x01,  # Collection (Application)
        0x15, 0x00,  #   Logical Minimum (0)
        0x25, 0x01,  #   Logical Maximum (1)
        0x09, 0x20,  #   Usage (Hook Switch)
        0x09, 0x2F,  #   Usage (Phone Mute)
        0x75, 0x01,  #   Report Size (1)
        0x95, 0x02,  #   Report Count (2)
        0x81, 0x06,  #   Input (Data,Var,Rel)
        0x95, 0x06,  #   Report Count (6)
        0x81, 0x01,  #   Input (Cnst)            padding
        0x05, 0x08,  #   Usage Page (LED)
        0x09, 0x17,  #   Usage (Off-Hook)
        0x09, 0x21,  #   Usage (Microphone)
        0x95, 0x02,  #   Report Count (2)
        0x91, 0x22,  #   Output (Data,Var,Abs,NoPref)
        0x95, 0x06,  #   Report Count (6)
        0x91, 0x01,  #   Output (Cnst)           padding
        0xC0,        # End Collection
    ]
)  # fmt: skip


def test_relative_hook_toggles_and_microphone_led_stands_in_for_mute() -> None:
    out = replay(
        RELATIVE_HOOK_NO_IDS,
        [
            {"t": 0, "in": "00"},
            {"t": 1, "in": "01"},  # hook pulse: toggles to off-hook
            {"t": 1, "call": "answer"},
            {"t": 1.01, "in": "00"},
            {"t": 3, "in": "02"},  # mute pulse
            {"t": 3.01, "in": "00"},
            {"t": 5, "in": "01"},  # hook pulse: toggles back
            {"t": 5, "call": "hangup"},
        ],
    )
    assert out == [
        {"t": 0, "out": "00"},
        {"t": 1, "event": "hook", "off_hook": True},
        {"t": 1, "out": "01"},
        {"t": 3, "event": "mute", "muted": True},
        {"t": 3, "out": "03"},  # Off-Hook b0 + Microphone b1, no report id byte
        {"t": 5, "event": "hook", "off_hook": False},
        {"t": 5, "out": "00"},
    ]
