"""GPIO backend: polarity from data and software blinking, as a timed log of line levels."""

from __future__ import annotations

import pytest

from firmware.indicators.fake import FakeClock, FakeLines
from firmware.indicators.gpio import GpioIndicator
from firmware.indicators.indicator import IndicatorGone
from firmware.indicators.patterns import NORMAL, Color, Pattern

RED_AMBER = frozenset({Color.RED, Color.AMBER})


def make(active_low: bool) -> tuple[GpioIndicator, FakeLines, FakeClock]:
    clock = FakeClock()
    lines = FakeLines(clock)
    return GpioIndicator("withdrawn", RED_AMBER, active_low, lines), lines, clock


def test_active_low_led_is_lit_by_driving_the_line_low() -> None:
    ind, lines, clock = make(active_low=True)
    ind.show(Pattern(Color.RED), clock())
    clock.advance(5)
    ind.show(Pattern(Color.GREEN), clock())  # not a colour of this LED: dark
    # Requested already high (dark), so the LED never flashes at start.
    assert lines.line.levels == [(0.0, 1), (0.0, 0), (5.0, 1)]


def test_active_high_led_is_lit_by_driving_the_line_high() -> None:
    ind, lines, clock = make(active_low=False)
    ind.show(Pattern(Color.AMBER), clock())
    clock.advance(1)
    ind.show(Pattern.off(), clock())
    assert lines.line.levels == [(0.0, 0), (0.0, 1), (1.0, 0)]


def test_software_blink_follows_the_cadence_without_drift() -> None:
    ind, lines, clock = make(active_low=False)
    ind.show(Pattern(Color.RED, NORMAL), clock())  # 400 on / 400 off
    seen_deadlines = []
    for t in (0.1, 0.4, 0.5, 0.8, 1.25, 1.6):  # 1.25 is a late tick (edge was 1.2)
        clock.t = t
        seen_deadlines.append(ind.tick(t))
    assert lines.line.levels == [(0.0, 0), (0.0, 1), (0.4, 0), (0.8, 1), (1.25, 0), (1.6, 1)]
    assert seen_deadlines == pytest.approx([0.4, 0.8, 0.8, 1.2, 1.6, 2.0])


def test_steady_needs_no_ticks() -> None:
    ind, lines, clock = make(active_low=False)
    ind.show(Pattern(Color.RED), clock())
    assert ind.tick(3.0) is None
    assert lines.line.levels == [(0.0, 0), (0.0, 1)]


def test_vanished_chip_is_reported_and_reopened() -> None:
    ind, lines, clock = make(active_low=True)
    ind.show(Pattern(Color.RED), clock())
    lines.line.present = False
    with pytest.raises(IndicatorGone, match="withdrawn: fake gpiochip"):
        ind.show(Pattern.off(), clock())
    assert lines.line.closed
    ind.reopen()
    ind.show(Pattern(Color.RED), clock())
    assert len(lines.opened) == 2
    assert lines.line.levels == [(0.0, 1), (0.0, 0)]


def test_readback_reports_physical_level_and_polarity() -> None:
    ind, _lines, clock = make(active_low=True)
    ind.show(Pattern(Color.RED), clock())
    assert ind.readback() == "lit (line low, active-low)"


class RecordingRequest:
    def __init__(self) -> None:
        self.values: list[tuple[int, object]] = []
        self.released = False

    def set_value(self, line: int, value: object) -> None:
        self.values.append((line, value))

    def release(self) -> None:
        self.released = True


def test_gpiod_line_is_requested_at_the_dark_level(monkeypatch: pytest.MonkeyPatch) -> None:
    import gpiod
    from gpiod.line import Direction, Value

    from firmware.indicators.gpio import GpiodLine

    calls: list[tuple[str, str, dict[int, gpiod.LineSettings]]] = []
    request = RecordingRequest()

    def request_lines(path: str, consumer: str, config: dict[int, gpiod.LineSettings]) -> object:
        calls.append((path, consumer, config))
        return request

    monkeypatch.setattr(gpiod, "request_lines", request_lines)
    line = GpiodLine("/dev/gpiochip0", 27, initial_level=1)  # active-low LED: dark is high
    ((path, consumer, config),) = calls
    assert (path, consumer) == ("/dev/gpiochip0", "deskgate-indicator")
    assert config[27].direction == Direction.OUTPUT
    assert config[27].output_value == Value.ACTIVE
    assert config[27].active_low is False  # polarity is applied by GpioIndicator
    line.set_level(0)
    line.close()
    assert request.values == [(27, Value.INACTIVE)]
    assert request.released


def test_gpiod_missing_chip_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import gpiod

    from firmware.indicators.gpio import GpiodLine

    def request_lines(path: str, consumer: str, config: object) -> object:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(gpiod, "request_lines", request_lines)
    with pytest.raises(IndicatorGone, match="no such GPIO chip: check `chip`"):
        GpiodLine("/dev/gpiochip9", 27, initial_level=0)
