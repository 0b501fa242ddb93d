"""The seam every indicator backend implements, and the one error they raise.

A backend is chosen by board data (`board/<name>/board.toml`), never by code that knows a board.
`show` is called once per state change; `tick` once per service-loop iteration for backends
that time things themselves (software blink on GPIO, the Kuando keep-alive).
"""

from __future__ import annotations

from typing import Protocol

from firmware.indicators.patterns import Color, Pattern


class IndicatorGone(Exception):
    """The device behind an indicator is missing or stopped answering (unplugged busylight,
    LED path not in sysfs, GPIO chip gone). The message names the device and what to check."""


class Indicator(Protocol):
    """Something that shows a `Pattern`: an LED, a GPIO line, a USB busylight.

    `show`, `tick` and `reopen` raise `IndicatorGone` when the device is not there.
    """

    @property
    def name(self) -> str: ...

    @property
    def backend(self) -> str: ...

    @property
    def colors(self) -> frozenset[Color]:
        """The colours this indicator can light (a mono LED has one or two)."""
        ...

    def show(self, pattern: Pattern, now: float) -> None:
        """Start showing `pattern` (replacing what was shown)."""

    def tick(self, now: float) -> float | None:
        """Do any timed work due at `now`; return when to be called next (None: not needed)."""

    def reopen(self) -> None:
        """Try to reach the device again after `IndicatorGone`."""

    def readback(self) -> str:
        """What the device says it shows, or what was last written for write-only devices."""

    def close(self) -> None: ...


def as_mono(pattern: Pattern, lit_for: frozenset[Color]) -> Pattern:
    """What a single-colour LED shows: the pattern when its colour is one the LED stands for,
    else dark (the Ready LED stands for green, the Withdrawn LED for red and amber)."""
    return pattern if pattern.color in lit_for else Pattern.off()
