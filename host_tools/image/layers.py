"""Image layers: the data a board's image is composed from (`board/<name>/image/layer.toml`).

A board layer lists the layers under it (`layers = ["common"]` → `board/common/image/`);
lists are concatenated in order (lower layers first), scalars are taken from the highest layer
that sets them. No code here knows a board by name (STYLE.md 7).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

LIST_KEYS = (
    "packages",
    "build_packages",
    "files",
    "enable",
    "disable",
    "overlays",
    "initramfs_modules",
)
SCALAR_DEFAULTS: dict[str, object] = {
    "boot_label": "BOOT",
    "root_label": "ROOT",
    "boot_size_mib": 256,
}


class LayerError(ValueError):
    """A layer file that is missing, not TOML, or holds a key or value of the wrong kind."""


@dataclass(frozen=True)
class FileCopy:
    """One repository file put into the image at `dest` with `mode`."""

    source: str
    dest: str
    mode: int


@dataclass(frozen=True)
class ImageSpec:
    """Everything the build needs to know about one board's image, merged from its layers."""

    board: str
    layers: tuple[str, ...]
    packages: tuple[str, ...]
    build_packages: tuple[str, ...]
    files: tuple[FileCopy, ...]
    enable: tuple[str, ...]
    disable: tuple[str, ...]
    overlays: tuple[str, ...]
    initramfs_modules: tuple[str, ...]
    boot_label: str
    root_label: str
    boot_size_mib: int

    def base_key(self, suite: str, mirror: str) -> str:
        """A short digest of what the Debian base depends on (the cache key of stage 1)."""
        data = json.dumps([suite, mirror, sorted(self.packages), sorted(self.build_packages)])
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError(f"{path}: no such layer file") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayerError(f"{path}: not valid TOML: {exc}") from None


def _order(board_dir: Path, name: str, seen: list[str]) -> list[str]:
    if name in seen:
        raise LayerError(f"layer {name!r} is listed twice (or includes itself)")
    data = _read(board_dir / name / "image" / "layer.toml")
    below = data.get("layers", [])
    if not isinstance(below, list) or not all(isinstance(x, str) for x in below):
        raise LayerError(f"{name}: `layers` must be a list of layer names")
    order: list[str] = []
    for lower in below:
        for item in _order(board_dir, lower, [*seen, name]):
            if item not in order:
                order.append(item)
    order.append(name)
    return order


def load_spec(board_dir: Path, board: str) -> ImageSpec:
    """Merge `board`'s image layer with the layers below it. Raises LayerError."""
    order = _order(board_dir, board, [])
    lists: dict[str, list[object]] = {key: [] for key in LIST_KEYS}
    scalars = dict(SCALAR_DEFAULTS)
    for name in order:
        path = board_dir / name / "image" / "layer.toml"
        for key, value in _read(path).items():
            if key == "layers":
                continue
            if key in LIST_KEYS:
                if not isinstance(value, list):
                    raise LayerError(f"{path}: `{key}` must be a list")
                lists[key].extend(value)
            elif key in SCALAR_DEFAULTS:
                if type(value) is not type(SCALAR_DEFAULTS[key]):
                    raise LayerError(f"{path}: `{key}` must be a {type(SCALAR_DEFAULTS[key])}")
                scalars[key] = value
            else:
                raise LayerError(f"{path}: unknown key `{key}`")
    files = []
    for entry in lists["files"]:
        if (
            not isinstance(entry, list)
            or len(entry) != 3
            or not all(isinstance(x, str) for x in entry)
        ):
            raise LayerError(f"{board}: each `files` entry is [source, destination, mode]")
        source, dest, mode = entry
        if not dest.startswith("/"):
            raise LayerError(f"{board}: destination {dest!r} must be absolute")
        files.append(FileCopy(source, dest, int(mode, 8)))
    for key in LIST_KEYS:
        if key != "files" and not all(isinstance(x, str) for x in lists[key]):
            raise LayerError(f"{board}: `{key}` must be a list of strings")
    return ImageSpec(
        board=board,
        layers=tuple(order),
        packages=tuple(str(x) for x in lists["packages"]),
        build_packages=tuple(str(x) for x in lists["build_packages"]),
        files=tuple(files),
        enable=tuple(str(x) for x in lists["enable"]),
        disable=tuple(str(x) for x in lists["disable"]),
        overlays=tuple(str(x) for x in lists["overlays"]),
        initramfs_modules=tuple(str(x) for x in lists["initramfs_modules"]),
        boot_label=str(scalars["boot_label"]),
        root_label=str(scalars["root_label"]),
        boot_size_mib=int(str(scalars["boot_size_mib"])),
    )
