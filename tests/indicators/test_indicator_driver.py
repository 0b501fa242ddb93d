"""The driver: a state change reaches every indicator in the same call; a vanished device is
reported once, retried, and shown the current pattern when it returns."""

from __future__ import annotations

import shutil
from pathlib import Path

from firmware.indicators.driver import IndicatorDriver
from firmware.indicators.fake import FakeIndicator
from firmware.indicators.ledclass import LedClassIndicator
from firmware.indicators.patterns import NORMAL, AgentView, Color, Pattern


def setup() -> tuple[IndicatorDriver, FakeIndicator, FakeIndicator, list[str]]:
    ready = FakeIndicator("ready", frozenset({Color.GREEN}))
    busylight = FakeIndicator("busylight")
    reports: list[str] = []
    driver = IndicatorDriver([ready, busylight], report=reports.append, retry_every=2.0)
    return driver, ready, busylight, reports


def test_state_change_is_written_to_every_indicator_in_the_same_call() -> None:
    driver, ready, busylight, _ = setup()
    assert driver.apply(AgentView("ready"), 1.0) == Pattern(Color.GREEN)
    assert ready.log == [(1.0, Pattern(Color.GREEN))]
    assert busylight.log == [(1.0, Pattern(Color.GREEN))]


def test_repeated_state_writes_nothing() -> None:
    driver, ready, _, _ = setup()
    driver.apply(AgentView("ready"), 1.0)
    driver.apply(AgentView("ready", muted=True), 2.0)  # same pattern
    driver.apply(AgentView("ready", ringing=True), 3.0)
    assert ready.log == [(1.0, Pattern(Color.GREEN)), (3.0, Pattern(Color.GREEN, NORMAL))]


def test_vanished_device_is_reported_once_retried_and_restored() -> None:
    driver, ready, busylight, reports = setup()
    driver.apply(AgentView("ready"), 0.0)
    busylight.unplug()
    driver.apply(AgentView("withdrawn", "break"), 1.0)
    assert reports == [
        "indicator busylight unavailable, retrying every 2 s: busylight: fake device unplugged"
    ]
    assert ready.log[-1] == (1.0, Pattern(Color.RED))  # the others carry on

    driver.apply(AgentView("ready", ringing=True), 1.5)  # not tried again before the retry
    assert busylight.reopens == 0
    assert driver.tick(2.0) == 3.0  # next retry
    assert driver.tick(3.0) == 5.0
    assert busylight.reopens == 1
    assert len(reports) == 1  # still gone: not reported again

    busylight.plug()
    driver.tick(5.0)
    assert reports[-1] == "indicator busylight is back"
    assert busylight.log[-1] == (5.0, Pattern(Color.GREEN, NORMAL))
    assert [s.present for s in driver.statuses()] == [True, True]


def test_statuses_say_why_an_indicator_is_missing() -> None:
    driver, _, busylight, _ = setup()
    busylight.unplug()
    driver.apply(AgentView("ready"), 0.0)
    status = {s.name: s for s in driver.statuses()}
    assert status["busylight"].present is False
    assert status["busylight"].shows == "busylight: fake device unplugged"
    assert status["ready"].shows == "green steady"


def test_led_path_removed_while_running(tmp_path: Path) -> None:
    led = tmp_path / "ready"
    led.mkdir()
    for name, value in (("brightness", "0"), ("max_brightness", "1"), ("trigger", "none")):
        (led / name).write_text(value)
    reports: list[str] = []
    indicator = LedClassIndicator("ready", "ready", frozenset({Color.GREEN}), root=tmp_path)
    driver = IndicatorDriver([indicator], report=reports.append, retry_every=1.0)
    driver.apply(AgentView("ready"), 0.0)
    shutil.rmtree(led)
    driver.apply(AgentView("unavailable"), 1.0)
    driver.tick(2.0)
    driver.tick(3.0)
    assert len(reports) == 1
    assert "ready is missing — is the board's LED overlay loaded" in reports[0]
