"""LED class backend against a directory tree laid out like /sys/class/leds."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.indicators.indicator import IndicatorGone
from firmware.indicators.ledclass import LedClassIndicator
from firmware.indicators.patterns import FAST, NORMAL, Color, Pattern

GREEN = frozenset({Color.GREEN})


def make_led(root: Path, name: str, max_brightness: str = "255", delays: bool = True) -> Path:
    led = root / name
    led.mkdir(parents=True)
    (led / "brightness").write_text("0")
    (led / "max_brightness").write_text(max_brightness + "\n")
    (led / "trigger").write_text("[none] timer heartbeat default-on")
    if delays:
        (led / "delay_on").write_text("500")
        (led / "delay_off").write_text("500")
    return led


def files(led: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(led.iterdir())}


def test_steady_writes_trigger_none_and_max_brightness(tmp_path: Path) -> None:
    led = make_led(tmp_path, "deskgate:green:ready")
    ind = LedClassIndicator("ready", "deskgate:green:ready", GREEN, root=tmp_path)
    ind.show(Pattern(Color.GREEN), now=0.0)
    assert (led / "trigger").read_text() == "none"
    assert (led / "brightness").read_text() == "255"
    assert ind.readback() == "on (brightness 255)"


def test_blink_uses_kernel_timer_trigger(tmp_path: Path) -> None:
    led = make_led(tmp_path, "ready")
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    ind.show(Pattern(Color.GREEN, NORMAL), now=0.0)
    assert (led / "trigger").read_text() == "timer"
    assert (led / "delay_on").read_text() == "400"
    assert (led / "delay_off").read_text() == "400"
    assert ind.tick(1.0) is None  # nothing for the service to time
    assert ind.readback() == "timer 400/400 ms"


def test_off_and_colours_the_led_does_not_stand_for(tmp_path: Path) -> None:
    led = make_led(tmp_path, "ready")
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    ind.show(Pattern(Color.GREEN, FAST), now=0.0)
    ind.show(Pattern(Color.RED), now=1.0)  # the green Ready LED goes dark for red
    assert (led / "trigger").read_text() == "none"
    assert (led / "brightness").read_text() == "0"
    assert ind.readback() == "off"


def test_unchanged_pattern_writes_nothing(tmp_path: Path) -> None:
    led = make_led(tmp_path, "ready")
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    ind.show(Pattern(Color.GREEN), now=0.0)
    (led / "brightness").write_text("7")  # a write by the service would overwrite this
    ind.show(Pattern(Color.GREEN), now=1.0)
    assert (led / "brightness").read_text() == "7"


def test_missing_led_names_the_path_and_the_overlay(tmp_path: Path) -> None:
    ind = LedClassIndicator("ready", "deskgate:green:ready", GREEN, root=tmp_path)
    with pytest.raises(IndicatorGone, match=r"deskgate:green:ready is missing .*overlay"):
        ind.show(Pattern(Color.GREEN), now=0.0)


def test_attributes_are_never_created(tmp_path: Path) -> None:
    # In sysfs delay_on/delay_off only exist once the timer trigger is set; the backend must
    # not create files, so a tree without them is reported rather than silently filled in.
    led = make_led(tmp_path, "ready", delays=False)
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    with pytest.raises(IndicatorGone, match="delay_on is missing"):
        ind.show(Pattern(Color.GREEN, NORMAL), now=0.0)
    assert not (led / "delay_on").exists()


def test_reopen_after_the_led_comes_back_rewrites(tmp_path: Path) -> None:
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    with pytest.raises(IndicatorGone):
        ind.reopen()
    led = make_led(tmp_path, "ready", max_brightness="1")
    ind.reopen()
    ind.show(Pattern(Color.GREEN), now=0.0)
    assert files(led)["brightness"] == "1"


def test_readback_parses_the_kernel_trigger_list(tmp_path: Path) -> None:
    led = make_led(tmp_path, "ready")
    (led / "trigger").write_text("none [timer] heartbeat\n")
    (led / "delay_on").write_text("120\n")
    (led / "delay_off").write_text("880\n")
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    assert ind.readback() == "timer 120/880 ms"


def test_a_timer_trigger_set_by_udev_is_kept_and_drawn_with_delays(tmp_path: Path) -> None:
    """On the image udev pre-selects `timer` and opens `delay_*` to the service group; the
    kernel would recreate them root-owned on any trigger write, so none may happen."""
    led = make_led(tmp_path, "ready")
    (led / "trigger").write_text("none [timer] heartbeat default-on")
    ind = LedClassIndicator("ready", "ready", GREEN, root=tmp_path)
    shown = []
    for pattern in (Pattern(Color.GREEN), Pattern(Color.GREEN, NORMAL), Pattern(Color.RED)):
        ind.show(pattern, now=0.0)
        shown.append(((led / "delay_on").read_text(), (led / "delay_off").read_text()))
    assert shown == [("1", "0"), ("400", "400"), ("0", "400")]
    assert (led / "trigger").read_text() == "none [timer] heartbeat default-on", "never written"
    assert (led / "brightness").read_text() == "0", "brightness would drop the trigger"
    assert ind.readback() == "off (timer trigger, never on)"
    ind.show(Pattern(Color.GREEN), now=1.0)
    assert ind.readback() == "on (timer trigger, never off)"
