"""The service side of a board: `board/<name>/service.toml` (data only, like board.toml) and
the backends it selects.

```toml
simulated = false           # true: keyboard headsets, traffic generator, dashboard
hid = "hidraw"              # "fake": the [[fake_headsets]] below
console = "/dev/ttyGS0"     # default console port; "nullmodem" = a pty pair (simulated board)
generate_token = false      # a fresh technician token at each start (simulated board)
default_config = ""         # site TOML used when `deskgate run` gets no --config
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from firmware.hid.backend import DeviceInfo, HidBackend
from firmware.hid.descriptor import parse_hex_text
from firmware.hid.fake import FakeBackend, FakeHeadset
from firmware.indicators.board import board_path

REPO_ROOT = Path(__file__).resolve().parents[2]


class BoardDataError(Exception):
    """`service.toml` is missing or invalid; the message names the file, key and reason."""


class FakeHeadsetEntry(BaseModel):
    """A simulated headset: a captured descriptor and the USB identity it reports."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    serial: str = ""
    product: str = "simulated headset"
    vendor_id: int = Field(0, ge=0, le=0xFFFF)
    product_id: int = Field(0, ge=0, le=0xFFFF)
    port: str = ""
    descriptor: str


class ServiceBoard(BaseModel):
    """How the service finds its devices on one board."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    simulated: bool = False
    hid: Literal["hidraw", "fake"] = "hidraw"
    console: str = ""
    generate_token: bool = False
    default_config: str = ""
    sim_audio: list[str] = Field(default_factory=list)
    fake_headsets: list[FakeHeadsetEntry] = Field(default_factory=list)
    directory: Path = Path(".")

    def default_config_path(self) -> Path | None:
        return self.directory / self.default_config if self.default_config else None

    def sim_audio_paths(self) -> list[Path]:
        """The configured WAV files that exist (paths relative to the repository root)."""
        paths = [REPO_ROOT / p for p in self.sim_audio]
        return [p for p in paths if p.is_file()]


def load_service_board(name: str) -> ServiceBoard:
    """Read `board/<name>/service.toml`. Raises `BoardDataError`."""
    path = board_path(name).parent / "service.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = sorted(p.parent.name for p in path.parent.parent.glob("*/service.toml"))
        raise BoardDataError(
            f"{path}: missing (boards with a service: {', '.join(known) or 'none'})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardDataError(f"{path}: not valid TOML: {exc}") from None
    try:
        return ServiceBoard.model_validate({**data, "directory": path.parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BoardDataError(f"{path}: {where}: {first['msg']}") from None


def build_hid(board: ServiceBoard) -> tuple[HidBackend, list[FakeHeadset]]:
    """The board's headset backend, and its fake headsets (empty for real hardware).
    Raises `BoardDataError` for a descriptor file that is missing or unreadable."""
    if board.hid == "hidraw":
        from firmware.hid.hidraw_backend import HidrawBackend

        return HidrawBackend(), []
    backend = FakeBackend()
    headsets = []
    for entry in board.fake_headsets:
        path = board.directory / entry.descriptor
        try:
            descriptor = parse_hex_text(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BoardDataError(f"{path}: cannot read the descriptor: {exc}") from None
        info = DeviceInfo(
            entry.path, entry.vendor_id, entry.product_id, entry.serial, entry.product, entry.port
        )
        headsets.append(backend.add(FakeHeadset(info, descriptor)))
    return backend, headsets
