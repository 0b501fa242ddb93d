"""Byte-exact output reports for every supported busylight, and the models table.

Layouts (report id 0 first, then the device report):
- Kuando Alpha/Omega: 7 steps × 8 bytes + footer [sens, timeout, trigger, FF, FF, FF, sum_hi,
  sum_lo]; jump step [0x10|target, repeat, R%, G%, B%, on/100ms, off/100ms, audio].
- Embrava Blynclight: [R, B, G, flags, sound, volume, FF, 22]; flags bit0 off, bit2 flash,
  bits 3-5 speed.
- Luxafor Flag: [0x01 static, 0xFF all LEDs, R, G, B, 0, 0, 0].
"""

from __future__ import annotations

import pytest

from firmware.indicators.busylight import reports
from firmware.indicators.busylight.models import MODELS, model_for_ids, select_models
from firmware.indicators.patterns import FAST, NORMAL, SLOW, WINK, Color, Pattern


def kuando(step0: list[int], checksum: int) -> bytes:
    footer = [0, 0, 0, 0xFF, 0xFF, 0xFF, checksum >> 8, checksum & 0xFF]
    return bytes([0x00, *step0, *([0] * 48), *footer])


def test_kuando_steady_green() -> None:
    # 0x10 + 100 + 3 * 0xFF = 881 = 0x0371
    assert reports.kuando_report(Pattern(Color.GREEN)) == kuando(
        [0x10, 0, 0, 100, 0, 0, 0, 0], 0x0371
    )


def test_kuando_blinks_in_the_light_with_tenths_of_a_second() -> None:
    assert reports.kuando_report(Pattern(Color.RED, NORMAL)) == kuando(
        [0x10, 0, 100, 0, 0, 4, 4, 0], 0x0379
    )
    # 1800/200 ms wink → 18 and 2 tenths; 120 ms rounds to one tenth.
    assert reports.kuando_report(Pattern(Color.RED, WINK))[1:9] == bytes(
        [0x10, 0, 100, 0, 0, 18, 2, 0]
    )
    assert reports.kuando_report(Pattern(Color.RED, FAST))[6:8] == bytes([1, 1])


def test_kuando_amber_is_scaled_to_percent() -> None:
    # amber (255, 140, 0) → (100, 54, 0) percent duty
    assert reports.kuando_report(Pattern(Color.AMBER))[1:9] == bytes([0x10, 0, 100, 54, 0, 0, 0, 0])


def test_kuando_off_is_a_dark_jump() -> None:
    assert reports.kuando_report(Pattern.off()) == kuando([0x10, 0, 0, 0, 0, 0, 0, 0], 0x030D)


def test_kuando_keepalive_asks_for_the_longest_timeout() -> None:
    # opcode 8, timeout 15 s in the low nibble; 0x8F + 3 * 0xFF = 908 = 0x038C
    assert reports.kuando_keepalive() == kuando([0x8F, 0, 0, 0, 0, 0, 0, 0], 0x038C)
    assert len(reports.kuando_keepalive()) == 1 + 64


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (Pattern(Color.GREEN), "00 00 00 ff 00 00 00 ff 22"),
        (Pattern(Color.RED, FAST), "00 ff 00 00 24 00 00 ff 22"),
        (Pattern(Color.RED, NORMAL), "00 ff 00 00 14 00 00 ff 22"),
        (Pattern(Color.AMBER, SLOW), "00 ff 00 8c 0c 00 00 ff 22"),
        (Pattern(Color.RED, WINK), "00 ff 00 00 0c 00 00 ff 22"),
        (Pattern.off(), "00 00 00 00 01 00 00 ff 22"),
    ],
)
def test_blynclight_reports(pattern: Pattern, expected: str) -> None:
    assert reports.blynclight_report(pattern).hex(" ") == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (Pattern(Color.RED), "00 01 ff ff 00 00 00 00 00"),
        (Pattern(Color.AMBER), "00 01 ff ff 8c 00 00 00 00"),
        # Blinking is timed by the service: the report is the static colour.
        (Pattern(Color.GREEN, NORMAL), "00 01 ff 00 ff 00 00 00 00"),
        (Pattern.off(), "00 01 ff 00 00 00 00 00 00"),
    ],
)
def test_luxafor_flag_reports(pattern: Pattern, expected: str) -> None:
    assert reports.luxafor_report(pattern).hex(" ") == expected


def test_models_are_found_by_usb_ids() -> None:
    assert model_for_ids(0x27BB, 0x3BCD) is not None
    assert model_for_ids(0x27BB, 0x3BCD).name == "Kuando Busylight Omega"  # type: ignore[union-attr]
    assert model_for_ids(0x04D8, 0xF372).name == "Luxafor Flag"  # type: ignore[union-attr]
    assert model_for_ids(0x2C0D, 0x000C).name == "Embrava Blynclight"  # type: ignore[union-attr]
    assert model_for_ids(0x046D, 0xC31C) is None


def test_usb_ids_are_unique_across_models() -> None:
    ids = [i for m in MODELS for i in m.usb_ids]
    assert len(ids) == len(set(ids))


def test_selection_by_key() -> None:
    assert select_models("auto") == MODELS
    assert select_models("off") == ()
    assert [m.key for m in select_models(["luxafor_flag"])] == ["luxafor_flag"]
    with pytest.raises(ValueError, match=r"unknown busylight model.*kuando_beta"):
        select_models(["kuando_beta"])
