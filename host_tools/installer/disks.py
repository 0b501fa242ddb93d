"""Which disks `gwctl flash` may write: the refusals, read from sysfs and the mount table.

A block device target is refused when any partition of its disk is mounted (the system disk
always is), used as swap, or held by device-mapper/RAID, and — unless forced — when the disk
is not removable, not on USB and not an SD card. A regular file is refused only when a loop
device backed by it is mounted. The sysfs root, mount table, swap list and `stat` are
parameters so the rules are tested on a fake tree.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class TargetRefused(Exception):
    """The target must not be written; the message says why and what to do."""


@dataclass(frozen=True)
class Mount:
    """One line of /proc/self/mountinfo: device number and where it is mounted."""

    dev: str
    mountpoint: str


def read_mountinfo(path: Path) -> list[Mount]:
    mounts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 5:
            mounts.append(Mount(fields[2], fields[4].replace("\\040", " ")))
    return mounts


class DiskProbe:
    """Answers whether a target may be written (see the module docstring)."""

    def __init__(
        self,
        sysfs: Path = Path("/sys"),
        mountinfo: Path = Path("/proc/self/mountinfo"),
        swaps: Path = Path("/proc/swaps"),
        stat_fn: Callable[[Path], os.stat_result] = os.stat,
    ) -> None:
        self.sysfs = sysfs
        self.mountinfo = mountinfo
        self.swaps = swaps
        self.stat_fn = stat_fn

    def _disk_dir(self, major: int, minor: int) -> Path:
        node = self.sysfs / "dev" / "block" / f"{major}:{minor}"
        if not node.exists():
            raise TargetRefused(f"no sysfs entry for block device {major}:{minor}")
        real = node.resolve()
        return real.parent if (real / "partition").exists() else real

    def _members(self, disk: Path) -> list[Path]:
        """The disk and its partitions."""
        return [disk, *sorted(p for p in disk.iterdir() if (p / "partition").exists())]

    def _swap_names(self) -> set[str]:
        try:
            lines = self.swaps.read_text(encoding="utf-8").splitlines()[1:]
        except FileNotFoundError:
            return set()
        return {Path(line.split()[0]).name for line in lines if line.strip()}

    def check(self, target: Path, force: bool = False) -> None:
        """Raise TargetRefused when `target` must not be written."""
        try:
            st = self.stat_fn(target)
        except FileNotFoundError:
            return  # a new image file
        mounts = read_mountinfo(self.mountinfo)
        if stat.S_ISREG(st.st_mode):
            self._check_file(target, mounts)
            return
        if not stat.S_ISBLK(st.st_mode):
            raise TargetRefused(f"{target} is neither a block device nor a regular file")
        disk = self._disk_dir(os.major(st.st_rdev), os.minor(st.st_rdev))
        members = self._members(disk)
        by_dev = {(m / "dev").read_text().strip(): m.name for m in members if (m / "dev").exists()}
        for mount in mounts:
            if mount.dev in by_dev:
                what = "the system disk" if mount.mountpoint in ("/", "/boot", "/usr") else "in use"
                raise TargetRefused(
                    f"{target} is {what}: /dev/{by_dev[mount.dev]} is mounted on "
                    f"{mount.mountpoint} (unmount it first; a system disk is never written)"
                )
        swaps = self._swap_names() & {m.name for m in members}
        if swaps:
            raise TargetRefused(f"{target} holds active swap /dev/{sorted(swaps)[0]}")
        for member in members:
            holders = sorted(p.name for p in (member / "holders").glob("*"))
            if holders:
                raise TargetRefused(
                    f"{target}: /dev/{member.name} is in use by {', '.join(holders)} "
                    "(device-mapper, LVM or RAID)"
                )
        if force:
            return
        removable = (disk / "removable").exists() and (disk / "removable").read_text().strip()
        on_usb = "/usb" in str(disk)
        sd_card = (disk / "device" / "type").exists() and (
            (disk / "device" / "type").read_text().strip() == "SD"
        )
        if removable != "1" and not on_usb and not sd_card:
            raise TargetRefused(
                f"{target} (/dev/{disk.name}) is not a removable, USB or SD card disk: "
                "refusing to overwrite what is probably an internal drive (--force if sure)"
            )

    def _check_file(self, target: Path, mounts: list[Mount]) -> None:
        real = str(target.resolve())
        mounted = {m.dev: m.mountpoint for m in mounts}
        for loop in sorted((self.sysfs / "block").glob("loop*")):
            backing = loop / "loop" / "backing_file"
            if not backing.exists() or backing.read_text().strip() != real:
                continue
            for member in self._members(loop):
                dev = (member / "dev").read_text().strip() if (member / "dev").exists() else ""
                if dev in mounted:
                    raise TargetRefused(
                        f"{target} is mounted through /dev/{member.name} on {mounted[dev]} "
                        "(unmount it and detach the loop device first)"
                    )
