"""Recording fakes of every indicator seam, for tests and the simulated board (`board/sim`).

Each fake keeps a timed log of what it showed or wrote, and can be unplugged and plugged back
to exercise the "device vanished" path. Times come from the caller (`now`) or an injected
clock, never from the wall clock, so tests are exact.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware.indicators.busylight.models import BusylightModel
from firmware.indicators.indicator import IndicatorGone
from firmware.indicators.patterns import Color, Pattern

ALL_COLORS = frozenset({Color.GREEN, Color.AMBER, Color.RED})


class FakeClock:
    """A clock that moves only when told to; call it for the time."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


class FakeIndicator:
    """An `Indicator` that records `(now, pattern)` for every `show`; `unplug()` makes `show`,
    `tick` and `reopen` raise `IndicatorGone` until `plug()`."""

    backend = "fake"

    def __init__(self, name: str, colors: frozenset[Color] = ALL_COLORS) -> None:
        self._name = name
        self._colors = colors
        self.log: list[tuple[float, Pattern]] = []
        self.present = True
        self.reopens = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def colors(self) -> frozenset[Color]:
        return self._colors

    def unplug(self) -> None:
        self.present = False

    def plug(self) -> None:
        self.present = True

    def _check(self) -> None:
        if not self.present:
            raise IndicatorGone(f"{self._name}: fake device unplugged")

    def show(self, pattern: Pattern, now: float) -> None:
        self._check()
        self.log.append((now, pattern))

    def tick(self, now: float) -> float | None:
        self._check()
        return None

    def reopen(self) -> None:
        self.reopens += 1
        self._check()

    def readback(self) -> str:
        return str(self.log[-1][1]) if self.log else "off (nothing shown yet)"

    def close(self) -> None:
        pass

    @property
    def shown(self) -> Pattern | None:
        return self.log[-1][1] if self.log else None


class FakeLine:
    """A GPIO `LineWriter` that records `(time, physical level)`; `vanish()` makes writes fail
    as an unbound GPIO chip would."""

    def __init__(self, clock: Callable[[], float], initial_level: int) -> None:
        self._clock = clock
        self.levels: list[tuple[float, int]] = [(clock(), initial_level)]
        self.present = True
        self.closed = False

    def set_level(self, level: int) -> None:
        if not self.present:
            raise IndicatorGone("fake gpiochip: No such device")
        self.levels.append((self._clock(), level))

    def close(self) -> None:
        self.closed = True


class FakeLines:
    """A `LineOpener` handing out `FakeLine`s (keeps them all, the newest last)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.opened: list[FakeLine] = []
        self.available = True

    def __call__(self, initial_level: int) -> FakeLine:
        if not self.available:
            raise IndicatorGone("fake gpiochip: cannot request line")
        line = FakeLine(self._clock, initial_level)
        self.opened.append(line)
        return line

    @property
    def line(self) -> FakeLine:
        return self.opened[-1]


class FakeHidConnection:
    """An open fake busylight: records `(time, report)` in the shared log of its `FakeHid`."""

    def __init__(self, hid: FakeHid, model: BusylightModel) -> None:
        self.model = model
        self.where = f"fake:{model.key}"
        self._hid = hid
        self.closed = False

    def write(self, data: bytes) -> None:
        if self._hid.model is None or self.closed:
            raise IndicatorGone(f"{self.model.name} at {self.where}: No such device (unplugged?)")
        self._hid.writes.append((self._hid.clock(), bytes(data)))

    def close(self) -> None:
        self.closed = True


class FakeHid:
    """A `Connector` with at most one fake light plugged in (`plug(model)` / `unplug()`)."""

    def __init__(self, clock: Callable[[], float], model: BusylightModel | None = None) -> None:
        self.clock = clock
        self.model = model
        self.writes: list[tuple[float, bytes]] = []
        self.connects = 0

    def plug(self, model: BusylightModel) -> None:
        self.model = model

    def unplug(self) -> None:
        self.model = None

    def __call__(self, models: tuple[BusylightModel, ...]) -> FakeHidConnection:
        self.connects += 1
        if self.model is None or self.model not in models:
            names = ", ".join(m.name for m in models) or "none selected"
            raise IndicatorGone(f"no busylight plugged in (looked for: {names})")
        return FakeHidConnection(self, self.model)
