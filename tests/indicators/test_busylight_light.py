"""The busylight indicator: keep-alive cadence, software blink, unplug, hidraw discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.indicators.busylight import reports
from firmware.indicators.busylight.hidraw import HidrawFinder
from firmware.indicators.busylight.light import BusylightIndicator
from firmware.indicators.busylight.models import MODELS, select_models
from firmware.indicators.fake import FakeClock, FakeHid
from firmware.indicators.indicator import IndicatorGone
from firmware.indicators.patterns import NORMAL, Color, Pattern

(OMEGA,) = select_models(["kuando_omega"])
(BLYNC,) = select_models(["embrava_blynclight"])
(FLAG,) = select_models(["luxafor_flag"])


def light(model: object) -> tuple[BusylightIndicator, FakeHid, FakeClock]:
    clock = FakeClock()
    hid = FakeHid(clock, model)  # type: ignore[arg-type]
    return BusylightIndicator("busylight", MODELS, hid), hid, clock


def run(ind: BusylightIndicator, clock: FakeClock, times: list[float]) -> list[float | None]:
    deadlines = []
    for t in times:
        clock.t = t
        deadlines.append(ind.tick(t))
    return deadlines


def test_kuando_keepalive_every_ten_seconds_while_lit() -> None:
    ind, hid, clock = light(OMEGA)
    ind.show(Pattern(Color.GREEN), 0.0)
    deadlines = run(ind, clock, [5.0, 9.99, 10.0, 19.9, 20.0])
    keepalive = reports.kuando_keepalive()
    assert hid.writes == [
        (0.0, reports.kuando_report(Pattern(Color.GREEN))),
        (10.0, keepalive),
        (20.0, keepalive),
    ]
    assert deadlines == [10.0, 10.0, 20.0, 20.0, 30.0]


def test_a_new_pattern_restarts_the_keepalive_clock() -> None:
    ind, hid, clock = light(OMEGA)
    ind.show(Pattern(Color.GREEN), 0.0)
    clock.t = 7.0
    ind.show(Pattern(Color.RED), 7.0)
    run(ind, clock, [10.0, 16.9, 17.0])
    assert [t for t, _ in hid.writes] == [0.0, 7.0, 17.0]


def test_no_keepalive_while_dark() -> None:
    ind, hid, clock = light(OMEGA)
    ind.show(Pattern.off(), 0.0)
    assert run(ind, clock, [10.0, 30.0]) == [None, None]
    assert len(hid.writes) == 1


def test_blynclight_blinks_by_itself_with_one_report() -> None:
    ind, hid, clock = light(BLYNC)
    ind.show(Pattern(Color.RED, NORMAL), 0.0)
    assert run(ind, clock, [0.4, 0.8, 12.0]) == [None, None, None]
    assert hid.writes == [(0.0, reports.blynclight_report(Pattern(Color.RED, NORMAL)))]


def test_luxafor_blink_is_timed_by_the_service() -> None:
    ind, hid, clock = light(FLAG)
    ind.show(Pattern(Color.GREEN, NORMAL), 0.0)
    deadlines = run(ind, clock, [0.2, 0.4, 0.5, 0.8])
    on = reports.luxafor_report(Pattern(Color.GREEN))
    dark = reports.luxafor_report(Pattern.off())
    assert hid.writes == [(0.0, on), (0.4, dark), (0.8, on)]
    assert deadlines == pytest.approx([0.4, 0.8, 0.8, 1.2])


def test_unplugged_light_raises_gone_and_is_found_again() -> None:
    ind, hid, clock = light(OMEGA)
    ind.show(Pattern(Color.GREEN), 0.0)
    hid.unplug()
    clock.t = 10.0
    with pytest.raises(IndicatorGone, match=r"busylight: Kuando Busylight Omega .*unplugged"):
        ind.tick(10.0)
    with pytest.raises(IndicatorGone, match="no busylight plugged in"):
        ind.reopen()
    hid.plug(FLAG)  # a different light on the same desk
    ind.reopen()
    clock.t = 12.0
    ind.show(Pattern(Color.RED), 12.0)
    assert hid.writes[-1] == (12.0, reports.luxafor_report(Pattern(Color.RED)))


def _hidraw(sysfs: Path, node: str, hid_id: str) -> None:
    (sysfs / node / "device").mkdir(parents=True)
    (sysfs / node / "device" / "uevent").write_text(
        f"DRIVER=hid-generic\nHID_ID={hid_id}\nHID_NAME=some device\n"
    )


def test_hidraw_finder_picks_the_light_and_writes_the_report(tmp_path: Path) -> None:
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    dev.mkdir()
    _hidraw(sysfs, "hidraw0", "0003:0000046D:0000C31C")  # a keyboard
    _hidraw(sysfs, "hidraw10", "0003:000004D8:0000F372")  # Luxafor, higher number
    _hidraw(sysfs, "hidraw2", "0003:000027BB:00003BCD")  # Kuando Omega
    for node in ("hidraw0", "hidraw2", "hidraw10"):
        (dev / node).write_bytes(b"")
    ind = BusylightIndicator("busylight", MODELS, HidrawFinder(sysfs, dev))
    ind.show(Pattern(Color.GREEN), 0.0)
    assert ind.model is OMEGA
    assert (dev / "hidraw2").read_bytes() == reports.kuando_report(Pattern(Color.GREEN))
    assert "Kuando Busylight Omega at" in ind.readback()


def test_hidraw_finder_says_what_it_looked_for(tmp_path: Path) -> None:
    _hidraw(tmp_path, "hidraw0", "0003:0000046D:0000C31C")
    ind = BusylightIndicator("busylight", select_models(["luxafor_flag"]), HidrawFinder(tmp_path))
    with pytest.raises(
        IndicatorGone, match=r"no busylight plugged in \(looked for: Luxafor Flag\)"
    ):
        ind.show(Pattern(Color.GREEN), 0.0)
