"""Drives every indicator of a board from the agent's state, surviving devices that vanish.

The gateway service calls `apply(view, now)` in the loop iteration where the ACD state changed
(the write happens inside the call, so the LED follows within that iteration) and `tick(now)`
on every iteration; `tick` returns when it next needs to run. An indicator whose device is gone
is reported once, skipped, and retried every `retry_every` seconds; when it comes back it is
reported again and shown the current pattern.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from firmware.indicators.indicator import Indicator, IndicatorGone
from firmware.indicators.patterns import PATTERN_TABLE, AgentView, Pattern, Rule, pattern_for

log = logging.getLogger("deskgate.indicators")


def _log_report(message: str) -> None:
    log.warning("%s", message)


@dataclass(frozen=True)
class IndicatorStatus:
    """One indicator as `deskgate leds show` prints it."""

    name: str
    backend: str
    present: bool
    shows: str


class IndicatorDriver:
    """Shows one pattern on a set of indicators. Never raises `IndicatorGone`: a vanished
    device is passed to `report` once (and once more when it is back) and retried."""

    def __init__(
        self,
        indicators: Sequence[Indicator],
        report: Callable[[str], None] = _log_report,
        retry_every: float = 2.0,
        table: tuple[Rule, ...] = PATTERN_TABLE,
    ) -> None:
        self._indicators = list(indicators)
        self._report = report
        self._retry_every = retry_every
        self._table = table
        self._pattern = Pattern.off()
        self._started = False
        self._retry_at: dict[str, float] = {}  # name → next retry, for the gone ones
        self._why: dict[str, str] = {}

    @property
    def pattern(self) -> Pattern:
        return self._pattern

    @property
    def indicators(self) -> list[Indicator]:
        return list(self._indicators)

    def apply(self, view: AgentView, now: float) -> Pattern:
        """Show the pattern for `view` (nothing is written when it is already shown)."""
        self.show(pattern_for(view, self._table), now)
        return self._pattern

    def show(self, pattern: Pattern, now: float) -> None:
        """Show `pattern` on every indicator that is present."""
        if pattern == self._pattern and self._started:
            return
        self._pattern = pattern
        self._started = True
        for indicator in self._indicators:
            if indicator.name not in self._retry_at:
                self._guarded(indicator, now, lambda i: i.show(pattern, now))

    def tick(self, now: float) -> float | None:
        """Timed work of every indicator and the retries; the earliest next deadline."""
        deadlines: list[float] = []
        for indicator in self._indicators:
            retry_at = self._retry_at.get(indicator.name)
            if retry_at is not None:
                if now >= retry_at:
                    self._retry(indicator, now)
                if indicator.name in self._retry_at:
                    deadlines.append(self._retry_at[indicator.name])
                    continue
            next_at = self._guarded(indicator, now, lambda i: i.tick(now))
            if isinstance(next_at, float | int):
                deadlines.append(float(next_at))
            elif indicator.name in self._retry_at:
                deadlines.append(self._retry_at[indicator.name])
        return min(deadlines) if deadlines else None

    def statuses(self) -> list[IndicatorStatus]:
        return [
            IndicatorStatus(
                name=i.name,
                backend=i.backend,
                present=i.name not in self._retry_at,
                shows=self._why[i.name] if i.name in self._retry_at else i.readback(),
            )
            for i in self._indicators
        ]

    def close(self) -> None:
        for indicator in self._indicators:
            with contextlib.suppress(OSError, IndicatorGone):
                indicator.close()

    def _guarded(
        self, indicator: Indicator, now: float, action: Callable[[Indicator], float | None]
    ) -> float | None:
        try:
            return action(indicator)
        except IndicatorGone as exc:
            self._gone(indicator, now, str(exc))
            return None

    def _gone(self, indicator: Indicator, now: float, why: str) -> None:
        self._retry_at[indicator.name] = now + self._retry_every
        self._why[indicator.name] = why
        self._report(
            f"indicator {indicator.name} unavailable, retrying every {self._retry_every:g} s: {why}"
        )

    def _retry(self, indicator: Indicator, now: float) -> None:
        try:
            indicator.reopen()
            if self._started:
                indicator.show(self._pattern, now)
        except IndicatorGone as exc:
            self._retry_at[indicator.name] = now + self._retry_every  # reported already
            self._why[indicator.name] = str(exc)
            return
        del self._retry_at[indicator.name]
        self._why.pop(indicator.name, None)
        self._report(f"indicator {indicator.name} is back")
