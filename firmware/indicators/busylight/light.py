"""A USB busylight as an `Indicator`: encodes patterns, times what the light cannot (the
Luxafor's blinking), and keeps a Kuando awake."""

from __future__ import annotations

import contextlib
from typing import Protocol

from firmware.indicators.busylight.models import BusylightModel
from firmware.indicators.indicator import IndicatorGone
from firmware.indicators.patterns import Color, Pattern
from firmware.indicators.softblink import SoftBlink

ALL_COLORS = frozenset({Color.GREEN, Color.AMBER, Color.RED})


class BusylightConnection(Protocol):
    """An open light: `write` raises `IndicatorGone` when it is unplugged."""

    model: BusylightModel
    where: str

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class Connector(Protocol):
    """Finds and opens a light of one of `models`; raises `IndicatorGone` when none is there."""

    def __call__(self, models: tuple[BusylightModel, ...]) -> BusylightConnection: ...


class BusylightIndicator:
    """One USB busylight of any supported model, found when first needed and again after it
    was unplugged. `show`, `tick` and `reopen` raise `IndicatorGone` when no light is there."""

    backend = "busylight"

    def __init__(self, name: str, models: tuple[BusylightModel, ...], connect: Connector) -> None:
        self._name = name
        self._models = models
        self._connect = connect
        self._conn: BusylightConnection | None = None
        self._blink = SoftBlink(Pattern.off(), 0.0)
        self._lit: bool | None = None  # what the last software-blink report showed
        self._last_write = 0.0

    @property
    def name(self) -> str:
        return self._name

    @property
    def colors(self) -> frozenset[Color]:
        return ALL_COLORS

    @property
    def model(self) -> BusylightModel | None:
        return self._conn.model if self._conn else None

    def show(self, pattern: Pattern, now: float) -> None:
        conn = self._connection()
        self._blink = SoftBlink(pattern, now)
        if conn.model.blinks_itself:
            self._write(conn, conn.model.encode(pattern), now)
        else:
            self._lit = self._blink.lit_at(now)
            self._write(conn, self._software_frame(conn.model, self._lit), now)

    def tick(self, now: float) -> float | None:
        conn = self._conn
        if conn is None:
            return None
        model = conn.model
        deadlines: list[float] = []
        if not model.blinks_itself:
            lit = self._blink.lit_at(now)
            if lit != self._lit:
                self._lit = lit
                self._write(conn, self._software_frame(model, lit), now)
            edge = self._blink.next_edge(now)
            if edge is not None:
                deadlines.append(edge)
        if model.keepalive is not None and model.keepalive_every and not self._blink.pattern.is_off:
            if now >= self._last_write + model.keepalive_every:
                self._write(conn, model.keepalive(), now)
            deadlines.append(self._last_write + model.keepalive_every)
        return min(deadlines) if deadlines else None

    def reopen(self) -> None:
        self._drop()
        self._connection()

    def readback(self) -> str:
        """Busylights are write-only: says which light is there and what this process last
        wrote to it (nothing, when called from a separate command)."""
        if self._conn is None:
            try:
                self._connection()
            except IndicatorGone as exc:
                return str(exc)
            conn = self._connection()
            return f"{conn.model.name} at {conn.where}: present (write-only)"
        conn = self._conn
        return f"{conn.model.name} at {conn.where}: {self._blink.pattern} (last written)"

    def close(self) -> None:
        self._drop()

    def _software_frame(self, model: BusylightModel, lit: bool) -> bytes:
        return model.encode(Pattern(self._blink.pattern.color) if lit else Pattern.off())

    def _connection(self) -> BusylightConnection:
        if self._conn is None:
            try:
                self._conn = self._connect(self._models)
            except IndicatorGone as exc:
                raise IndicatorGone(f"{self._name}: {exc}") from None
        return self._conn

    def _write(self, conn: BusylightConnection, data: bytes, now: float) -> None:
        try:
            conn.write(data)
        except IndicatorGone as exc:
            self._drop()
            raise IndicatorGone(f"{self._name}: {exc}") from None
        self._last_write = now

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
            self._conn = None
        self._lit = None
