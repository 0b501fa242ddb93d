"""Blink timing for devices that cannot blink by themselves (GPIO lines, the Luxafor Flag).

Pure: the phase is computed from the time the pattern started, so a late service-loop tick
never makes the cadence drift, it only delays one edge.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.indicators.patterns import Pattern


@dataclass(frozen=True)
class SoftBlink:
    """A pattern started at `start`; says whether it is lit at a time and when it next changes."""

    pattern: Pattern
    start: float

    def lit_at(self, now: float) -> bool:
        if self.pattern.is_off:
            return False
        blink = self.pattern.blink
        if blink.steady:
            return True
        period = (blink.on_ms + blink.off_ms) / 1000.0
        phase = (now - self.start) % period
        return phase < blink.on_ms / 1000.0

    def next_edge(self, now: float) -> float | None:
        """The first time after `now` at which `lit_at` changes; None for steady or off."""
        if self.pattern.is_off or self.pattern.blink.steady:
            return None
        blink = self.pattern.blink
        on_s, period = blink.on_ms / 1000.0, (blink.on_ms + blink.off_ms) / 1000.0
        cycles = int((now - self.start) // period)
        base = self.start + cycles * period
        for edge in (base + on_s, base + period, base + period + on_s):
            if edge > now:
                return edge
        return base + 2 * period  # not reached: one of the three edges is always later
