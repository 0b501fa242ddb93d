"""Finding a supported busylight among `/dev/hidraw*` and writing reports to it.

Uses the kernel's hidraw nodes directly (no hidapi): discovery reads `HID_ID` from each node's
sysfs `uevent`; a report is one `write()` of the report id followed by the report. Both roots
are parameters so tests use directory trees.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from firmware.indicators.busylight.models import BusylightModel
from firmware.indicators.indicator import IndicatorGone

SYSFS_HIDRAW = Path("/sys/class/hidraw")
DEV = Path("/dev")
_HID_ID = re.compile(r"^HID_ID=([0-9A-Fa-f]+):([0-9A-Fa-f]+):([0-9A-Fa-f]+)$", re.MULTILINE)


def _node_number(path: Path) -> int:
    digits = path.name.removeprefix("hidraw")
    return int(digits) if digits.isdigit() else 1 << 30


class HidrawConnection:
    """An open hidraw node of one busylight. `write` raises `IndicatorGone` when the light
    was unplugged (ENODEV/ESHUTDOWN/EIO) or refuses the report."""

    def __init__(self, model: BusylightModel, node: Path) -> None:
        self.model = model
        self.where = str(node)
        try:
            self._fd: int | None = os.open(node, os.O_WRONLY)
        except PermissionError:
            raise IndicatorGone(
                f"{model.name} at {node}: permission denied — is the deskgate busylight udev "
                f"rule installed (board/rpi4/udev/70-deskgate-busylights.rules)?"
            ) from None
        except OSError as exc:
            raise IndicatorGone(f"{model.name} at {node}: {exc.strerror}") from None

    def write(self, data: bytes) -> None:
        if self._fd is None:
            raise IndicatorGone(f"{self.model.name} at {self.where}: closed")
        try:
            written = os.write(self._fd, data)
        except OSError as exc:
            hint = ""
            if exc.errno in (errno.ENODEV, errno.ESHUTDOWN, errno.EIO, errno.EPIPE):
                hint = " (unplugged?)"
            raise IndicatorGone(
                f"{self.model.name} at {self.where}: {exc.strerror}{hint}"
            ) from None
        if written != len(data):
            raise IndicatorGone(
                f"{self.model.name} at {self.where}: short write ({written} of {len(data)})"
            )

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class HidrawFinder:
    """Connects to the first hidraw node (lowest number) that belongs to one of `models`.

    Raises `IndicatorGone` when none is plugged in.
    """

    def __init__(self, sysfs_root: Path = SYSFS_HIDRAW, dev_root: Path = DEV) -> None:
        self._sysfs = Path(sysfs_root)
        self._dev = Path(dev_root)

    def find(self, models: tuple[BusylightModel, ...]) -> tuple[BusylightModel, Path] | None:
        try:
            nodes = sorted(self._sysfs.glob("hidraw*"), key=_node_number)
        except OSError:
            return None
        for node in nodes:
            try:
                uevent = (node / "device" / "uevent").read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # unplugged while we looked
            match = _HID_ID.search(uevent)
            if not match:
                continue
            vendor, product = int(match.group(2), 16), int(match.group(3), 16)
            for model in models:
                if (vendor, product) in model.usb_ids:
                    return model, self._dev / node.name
        return None

    def __call__(self, models: tuple[BusylightModel, ...]) -> HidrawConnection:
        found = self.find(models)
        if found is None:
            names = ", ".join(m.name for m in models) or "none selected"
            raise IndicatorGone(f"no busylight plugged in (looked for: {names})")
        return HidrawConnection(*found)
