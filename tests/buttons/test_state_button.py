"""Source → classifier → requests, with the fake button; a vanished device is survived."""

from __future__ import annotations

from firmware.buttons.classifier import PressClassifier
from firmware.buttons.fake import FakeButtonSource
from firmware.buttons.rules import Logout, SetStatus
from firmware.buttons.state_button import StateButton
from firmware.indicators.patterns import AgentView


def make() -> tuple[StateButton, FakeButtonSource, list[str]]:
    source = FakeButtonSource()
    reports: list[str] = []
    button = StateButton(
        source, PressClassifier(2.0, 0.03), "A", report=reports.append, retry_every=1.0
    )
    return button, source, reports


def test_click_with_bounce_withdraws_once() -> None:
    button, source, _ = make()
    source.bounce(True, at=1.0)
    source.bounce(False, at=1.3)
    ready = AgentView("ready")
    assert button.service(1.1, ready) == []
    assert button.service(1.2, ready) == []
    assert button.service(1.4, ready) == [SetStatus("A", "withdrawn", "manual")]
    assert button.service(5.0, ready) == []


def test_hold_asks_for_logout_at_the_long_press_time() -> None:
    button, source, _ = make()
    source.press(0.0)
    view = AgentView("ready")
    assert button.service(0.0, view) == []
    assert button.next_deadline() == 0.03
    assert button.service(1.0, view) == []
    assert button.next_deadline() == 2.0
    assert button.service(2.0, view) == [Logout("A")]
    source.release(9.0)
    assert button.service(10.0, view) == []


def test_unplugged_button_is_reported_once_and_retried() -> None:
    button, source, reports = make()
    source.unplug()
    view = AgentView("ready")
    assert button.service(0.0, view) == []
    assert button.service(0.5, view) == []
    assert button.service(1.0, view) == []
    assert reports == ["state button unavailable, retrying every 1 s: fake button: unplugged"]
    source.plug()
    source.click(2.5, held=0.2)
    assert button.service(2.0, view) == []
    assert reports[-1] == "state button is back"
    assert button.service(3.0, view) == [SetStatus("A", "withdrawn", "manual")]


def test_boards_describe_their_button() -> None:
    from firmware.buttons.evdev_source import EvdevButtonSource
    from firmware.buttons.state_button import build_button
    from firmware.config.indicators import IndicatorsConfig
    from firmware.indicators.board import load_board

    config = IndicatorsConfig(long_press=3.0)
    sim = build_button(load_board("sim").button, config, "A")
    assert sim is not None and isinstance(sim._source, FakeButtonSource)
    assert sim._classifier.long_press == 3.0
    reports: list[str] = []
    rpi4 = build_button(load_board("rpi4").button, config, "A", report=reports.append)
    assert rpi4 is not None and isinstance(rpi4._source, EvdevButtonSource)
    # No gpio-keys device on this machine: reported once, retried, the service goes on.
    assert rpi4.service(0.0, AgentView("ready")) == []
    assert rpi4.service(5.0, AgentView("ready")) == []
    assert len(reports) == 1 and "gpio-keys" in reports[0]
