"""Raw key levels in, press gestures out: debouncing and short/long classification.

Pure, with the clock injected (every call takes `now`), so bouncing contacts and held keys
are tested as exact timelines. Rules:
- A level counts once it has stayed put for `debounce` seconds; a press is timed from the
  first edge of the level that stayed.
- SHORT: the key is released before `long_press` seconds.
- LONG: the key has been held `long_press` seconds — emitted at that moment, while it is still
  held, so the agent sees the effect without guessing when to let go. The release after a
  LONG does nothing, and holding on never repeats it (a held key does not repeat actions;
  evdev's autorepeat events are dropped by the source).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Gesture(StrEnum):
    SHORT = "short"
    LONG = "long"


@dataclass(frozen=True)
class Press:
    """A recognised gesture: `at` when it was recognised, `held` how long the key was down."""

    gesture: Gesture
    at: float
    held: float


class PressClassifier:
    """Debounces one key and classifies its presses. Raises ValueError for bad timings."""

    def __init__(self, long_press: float = 2.0, debounce: float = 0.03) -> None:
        if debounce < 0 or long_press <= debounce:
            raise ValueError(
                f"need 0 <= debounce < long_press (got debounce {debounce}, "
                f"long_press {long_press})"
            )
        self.long_press = long_press
        self.debounce = debounce
        self._stable = False
        self._pending: tuple[bool, float] | None = None  # (level, since)
        self._press_start: float | None = None
        self._long_fired = False

    @property
    def pressed(self) -> bool:
        """The debounced level."""
        return self._stable

    def feed(self, pressed: bool, at: float) -> list[Press]:
        """A raw edge (or repeated level) seen at `at`; returns gestures completed by then."""
        out = self.poll(at)
        if pressed == self._stable:
            self._pending = None  # bounced back before it settled
        elif self._pending is None or self._pending[0] != pressed:
            self._pending = (pressed, at)
        return out

    def poll(self, now: float) -> list[Press]:
        """Gestures due by `now` without a new edge (call when `next_deadline` passes)."""
        out: list[Press] = []
        if self._pending is not None and now >= self._pending[1] + self.debounce:
            level, since = self._pending
            self._pending = None
            out.extend(self._settle(level, since))
        long_at = self._long_deadline()
        if long_at is not None and now >= long_at:
            pending_release = self._pending is not None and self._pending[1] < long_at
            if not pending_release:
                self._long_fired = True
                out.append(Press(Gesture.LONG, long_at, self.long_press))
        return out

    def next_deadline(self) -> float | None:
        """When `poll` may next have something to say; None while nothing is in progress."""
        times = []
        if self._pending is not None:
            times.append(self._pending[1] + self.debounce)
        long_at = self._long_deadline()
        if long_at is not None:
            times.append(long_at)
        return min(times) if times else None

    def _long_deadline(self) -> float | None:
        if self._stable and not self._long_fired and self._press_start is not None:
            return self._press_start + self.long_press
        return None

    def _settle(self, level: bool, since: float) -> list[Press]:
        self._stable = level
        if level:
            self._press_start = since
            self._long_fired = False
            return []
        start, self._press_start = self._press_start, None
        if start is None or self._long_fired:
            return []
        if since - start >= self.long_press:
            # Released after the long-press time but before a poll fired LONG: still long.
            self._long_fired = True
            return [Press(Gesture.LONG, start + self.long_press, self.long_press)]
        return [Press(Gesture.SHORT, since, since - start)]
