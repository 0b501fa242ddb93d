"""Board data for indicators and the state button: `board/<name>/board.toml`, validated, and
the table that builds each backend from its entry.

A board file names backends and their wiring only (LED names, chip and line, polarity, input
device); no code branches on a board's name. Example (board/rpi4/board.toml):

    [[indicators]]
    name = "ready"
    backend = "ledclass"
    led = "deskgate:green:ready"
    colors = ["green"]

    [button]
    backend = "evdev"
    device = "gpio-keys"
    key = "KEY_PROG1"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from firmware.indicators.busylight.hidraw import HidrawFinder
from firmware.indicators.busylight.light import BusylightIndicator
from firmware.indicators.busylight.models import select_models
from firmware.indicators.fake import FakeClock, FakeHid, FakeIndicator
from firmware.indicators.gpio import GpiodLine, GpioIndicator, LineWriter
from firmware.indicators.indicator import Indicator
from firmware.indicators.ledclass import LedClassIndicator
from firmware.indicators.patterns import Color

BOARDS_DIR = Path(__file__).resolve().parents[2] / "board"
ColorName = Literal["green", "amber", "red"]


class BoardError(Exception):
    """A board file is missing or invalid; the message names the file, key and reason."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)


class LedClassEntry(_Entry):
    """An LED class LED: `led` under `root`, lit for `colors`."""

    backend: Literal["ledclass"]
    led: str = Field(min_length=1)
    colors: list[ColorName] = Field(min_length=1)
    root: str = "/sys/class/leds"


class GpioEntry(_Entry):
    """An LED on line `line` of GPIO chip `chip`; `active_low` when low lights it."""

    backend: Literal["gpio"]
    chip: str = Field(min_length=1)
    line: int = Field(ge=0)
    active_low: bool = False
    colors: list[ColorName] = Field(min_length=1)


class BusylightEntry(_Entry):
    """Any USB busylight of `models` ("auto": every supported one) found under the roots."""

    backend: Literal["busylight"]
    models: Literal["auto"] | list[str] = "auto"
    sysfs_root: str = "/sys/class/hidraw"
    dev_root: str = "/dev"


class FakeEntry(_Entry):
    """A recording fake LED (the simulated board)."""

    backend: Literal["fake"]
    colors: list[ColorName] = Field(min_length=1)


class FakeBusylightEntry(_Entry):
    """A busylight with real encoders on a fake USB connection (the simulated board)."""

    backend: Literal["fake-busylight"]
    model: str = "kuando_omega"


IndicatorEntry = Annotated[
    LedClassEntry | GpioEntry | BusylightEntry | FakeEntry | FakeBusylightEntry,
    Field(discriminator="backend"),
]


class ButtonEntry(BaseModel):
    """The state button: an evdev input device and key, a fake, or none."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    backend: Literal["evdev", "fake", "none"] = "none"
    device: str | None = None  # path, or the input device's name (e.g. "gpio-keys")
    key: str = "KEY_PROG1"


class Board(BaseModel):
    """A board's indicator and button wiring."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = ""
    indicators: list[IndicatorEntry] = Field(default_factory=list)
    button: ButtonEntry = Field(default_factory=ButtonEntry)


def board_path(name: str) -> Path:
    """`board/<name>/board.toml`; `DESKGATE_BOARDS` overrides the boards directory."""
    root = Path(os.environ.get("DESKGATE_BOARDS", BOARDS_DIR))
    return root / name / "board.toml"


def load_board(name: str) -> Board:
    """Read and validate a board's data. Raises `BoardError`."""
    path = board_path(name)
    if not path.parent.is_dir():
        known = ", ".join(sorted(p.parent.name for p in path.parent.parent.glob("*/board.toml")))
        raise BoardError(f"unknown board {name!r} (no {path.parent}; known: {known or 'none'})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BoardError(f"{path}: missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{path}: not valid TOML: {exc}") from None
    try:
        return Board.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BoardError(f"{path}: {where}: {first['msg']}") from None


@dataclass
class BuildContext:
    """What builders need besides the entry: the busylight selection from the config and
    the clock used by fakes."""

    busylight: str | list[str] = "auto"
    clock: Callable[[], float] = field(default_factory=FakeClock)


def _colors(names: list[ColorName]) -> frozenset[Color]:
    return frozenset(Color(n) for n in names)


def _ledclass(entry: LedClassEntry, ctx: BuildContext) -> Indicator:
    return LedClassIndicator(entry.name, entry.led, _colors(entry.colors), Path(entry.root))


def _gpio(entry: GpioEntry, ctx: BuildContext) -> Indicator:
    def open_line(initial_level: int) -> LineWriter:
        return GpiodLine(entry.chip, entry.line, initial_level)

    return GpioIndicator(entry.name, _colors(entry.colors), entry.active_low, open_line)


def _busylight(entry: BusylightEntry, ctx: BuildContext) -> Indicator | None:
    if ctx.busylight == "off":
        return None
    models = select_models(entry.models if ctx.busylight == "auto" else ctx.busylight)
    finder = HidrawFinder(Path(entry.sysfs_root), Path(entry.dev_root))
    return BusylightIndicator(entry.name, models, finder)


def _fake(entry: FakeEntry, ctx: BuildContext) -> Indicator:
    return FakeIndicator(entry.name, _colors(entry.colors))


def _fake_busylight(entry: FakeBusylightEntry, ctx: BuildContext) -> Indicator | None:
    if ctx.busylight == "off":
        return None
    (model,) = select_models([entry.model])
    return BusylightIndicator(entry.name, (model,), FakeHid(ctx.clock, model))


BUILDERS: dict[str, Callable[..., Indicator | None]] = {
    "ledclass": _ledclass,
    "gpio": _gpio,
    "busylight": _busylight,
    "fake": _fake,
    "fake-busylight": _fake_busylight,
}


def build_indicators(board: Board, ctx: BuildContext | None = None) -> list[Indicator]:
    """One indicator per board entry (busylights left out when the config says "off").
    Raises `BoardError` for an unknown busylight model key."""
    ctx = ctx or BuildContext()
    built: list[Indicator] = []
    for entry in board.indicators:
        try:
            indicator = BUILDERS[entry.backend](entry, ctx)
        except ValueError as exc:
            raise BoardError(f"indicator {entry.name}: {exc}") from None
        if indicator is not None:
            built.append(indicator)
    return built
