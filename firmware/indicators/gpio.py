"""Indicator backend for an LED on a plain GPIO line (the GPIO character device via libgpiod).

Polarity is board data (`active_low`): many boards sink the LED current, so the line is driven
low to light it. GPIO cannot blink by itself, so blinking is timed by the service loop through
`tick` (see `softblink`).
"""

from __future__ import annotations

import contextlib
import errno
from typing import Protocol

from firmware.indicators.indicator import IndicatorGone, as_mono
from firmware.indicators.patterns import Color, Pattern
from firmware.indicators.softblink import SoftBlink


class LineWriter(Protocol):
    """Sets the physical level (0 = low, 1 = high) of one output line; raises IndicatorGone."""

    def set_level(self, level: int) -> None: ...

    def close(self) -> None: ...


class GpiodLine:
    """A `LineWriter` on a real GPIO line through the `gpiod` (libgpiod v2) bindings.

    Raises `IndicatorGone` when the chip or line cannot be requested or written.
    """

    def __init__(self, chip: str, line: int, initial_level: int) -> None:
        self._chip, self._line = chip, line
        self._initial = initial_level
        self._request = self._open()

    def _open(self) -> object:
        import gpiod  # imported here so boards without GPIO LEDs do not need libgpiod
        from gpiod.line import Direction, Value

        # Request the line already at the dark level: requesting it as a plain output would
        # drive it low for a moment and flash an active-low LED at every service start.
        settings = gpiod.LineSettings(
            direction=Direction.OUTPUT,
            output_value=Value.ACTIVE if self._initial else Value.INACTIVE,
        )
        try:
            return gpiod.request_lines(
                self._chip, consumer="deskgate-indicator", config={self._line: settings}
            )
        except OSError as exc:
            hint = {
                errno.ENOENT: " (no such GPIO chip: check `chip` in the board file)",
                errno.EBUSY: " (held by another program — the running service?)",
                errno.EACCES: " (is the service user in the 'gpio' group?)",
                errno.EINVAL: " (no such line on this chip: check `line`)",
            }.get(exc.errno or 0, "")
            raise IndicatorGone(
                f"cannot request {self._chip} line {self._line}: {exc.strerror}{hint}"
            ) from None
        except ValueError as exc:  # libgpiod: the path is not a GPIO chip, or a bad offset
            raise IndicatorGone(f"cannot request {self._chip} line {self._line}: {exc}") from None

    def set_level(self, level: int) -> None:
        from gpiod.line import Value

        try:
            # active_low is left False in the request: polarity is applied in GpioIndicator,
            # so the level written here is the physical one.
            self._request.set_value(self._line, Value.ACTIVE if level else Value.INACTIVE)  # type: ignore[attr-defined]
        except OSError as exc:
            raise IndicatorGone(f"{self._chip} line {self._line}: {exc.strerror}") from None

    def close(self) -> None:
        self._request.release()  # type: ignore[attr-defined]


class GpioIndicator:
    """A single-colour LED on a GPIO line, with software blinking and polarity from data.

    Raises `IndicatorGone` (from the line writer) when the line cannot be written.
    """

    backend = "gpio"

    def __init__(
        self,
        name: str,
        lit_for: frozenset[Color],
        active_low: bool,
        open_line: LineOpener,
    ) -> None:
        self._name = name
        self._lit_for = lit_for
        self._active_low = active_low
        self._open_line = open_line
        self._blink = SoftBlink(Pattern.off(), 0.0)
        self._level: int | None = None
        self._line: LineWriter | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def colors(self) -> frozenset[Color]:
        return self._lit_for

    def physical(self, lit: bool) -> int:
        """The line level that lights (`lit`) or darkens the LED under this polarity."""
        return int(lit) ^ int(self._active_low)

    def show(self, pattern: Pattern, now: float) -> None:
        wanted = as_mono(pattern, self._lit_for)
        if wanted != self._blink.pattern or self._level is None:
            self._blink = SoftBlink(wanted, now)
        self._drive(self._blink.lit_at(now))

    def tick(self, now: float) -> float | None:
        self._drive(self._blink.lit_at(now))
        return self._blink.next_edge(now)

    def reopen(self) -> None:
        self._close_line()
        self._level = None
        self._writer()

    def readback(self) -> str:
        if self._level is None:
            return "write-only (the line is driven by whoever requested it)"
        lit = self._level == self.physical(True)
        polarity = "active-low" if self._active_low else "active-high"
        return f"{'lit' if lit else 'dark'} (line {'high' if self._level else 'low'}, {polarity})"

    def close(self) -> None:
        self._close_line()

    def _writer(self) -> LineWriter:
        if self._line is None:
            self._line = self._open_line(self.physical(False))
        return self._line

    def _drive(self, lit: bool) -> None:
        level = self.physical(lit)
        if level == self._level:
            return
        try:
            self._writer().set_level(level)
        except IndicatorGone as exc:
            self._close_line()
            self._level = None
            raise IndicatorGone(f"{self._name}: {exc}") from None
        self._level = level

    def _close_line(self) -> None:
        if self._line is not None:
            with contextlib.suppress(OSError):
                self._line.close()
            self._line = None


class LineOpener(Protocol):
    """Opens the line with its initial (dark) physical level; raises IndicatorGone."""

    def __call__(self, initial_level: int) -> LineWriter: ...
