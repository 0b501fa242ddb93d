"""`gwctl flash IMAGE TARGET`: write an image to a card with its block map, then read every
written block back from the card and check it against the map's checksums.

bmaptool checks the image as it reads it, not what lands on the card; a failing card or
reader that drops writes passes `bmaptool copy`. Here the target's page cache is dropped
after `fsync` and every mapped range is read back from the device and hashed.

The target is refused (unless `--force`) when it is mounted, holds the running system or
swap, is in use by device-mapper/RAID, or is a disk that is neither removable, nor on USB,
nor an SD card; a regular file is always a fine target (it is created or overwritten).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import stat
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from host_tools.installer.command import add_command
from host_tools.installer.disks import DiskProbe, TargetRefused
from host_tools.installer.errors import fail

CHUNK_BLOCKS = 256


class FlashError(Exception):
    """The bmap is unusable, the image does not match it, or the card did not keep what was
    written; the message names the file and the block range."""


@dataclass(frozen=True)
class Range:
    """Blocks `first`..`last` (inclusive) and the SHA-256 of their bytes."""

    first: int
    last: int
    sha256: str


@dataclass(frozen=True)
class BlockMap:
    """A parsed bmap file (format 2.x, sha256 checksums)."""

    image_size: int
    block_size: int
    mapped_blocks: int
    ranges: tuple[Range, ...]

    @property
    def mapped_bytes(self) -> int:
        return sum(self._span(r)[1] for r in self.ranges)

    def _span(self, r: Range) -> tuple[int, int]:
        start = r.first * self.block_size
        end = min((r.last + 1) * self.block_size, self.image_size)
        return start, end - start


def parse_bmap(text: str, name: str = "bmap") -> BlockMap:
    """Parse and self-check a bmap file. Raises FlashError."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FlashError(f"{name}: not XML: {exc}") from None
    version = root.get("version", "")
    if root.tag != "bmap" or not version.startswith("2."):
        raise FlashError(f"{name}: not a bmap 2.x file (version {version!r})")

    def field(tag: str) -> str:
        node = root.find(tag)
        if node is None or node.text is None:
            raise FlashError(f"{name}: missing <{tag}>")
        return node.text.strip()

    if field("ChecksumType") != "sha256":
        raise FlashError(f"{name}: only sha256 checksums are supported")
    declared = field("BmapFileChecksum")
    zeroed = text.replace(declared, "0" * len(declared), 1)
    if hashlib.sha256(zeroed.encode()).hexdigest() != declared:
        raise FlashError(f"{name}: the bmap file's own checksum does not match (corrupted?)")
    ranges = []
    for node in root.iterfind("BlockMap/Range"):
        match = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", node.text or "")
        chksum = node.get("chksum")
        if not match or not chksum:
            raise FlashError(f"{name}: bad <Range> {node.text!r}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        ranges.append(Range(first, last, chksum))
    return BlockMap(
        image_size=int(field("ImageSize")),
        block_size=int(field("BlockSize")),
        mapped_blocks=int(field("MappedBlocksCount")),
        ranges=tuple(ranges),
    )


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, label: str, total: int, enabled: bool | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.done = 0

    def add(self, n: int) -> None:
        self.done += n
        if self.enabled:
            pct = 100 * self.done // self.total
            sys.stderr.write(f"\r{self.label}: {self.done >> 20}/{self.total >> 20} MiB {pct}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _chunks(bmap: BlockMap, r: Range) -> Iterator[tuple[int, int]]:
    """(offset, length) pieces of a range, at most CHUNK_BLOCKS blocks each."""
    start, length = bmap._span(r)
    step = CHUNK_BLOCKS * bmap.block_size
    for offset in range(start, start + length, step):
        yield offset, min(step, start + length - offset)


def _read_exact(fd: int, offset: int, length: int, what: str) -> bytes:
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise FlashError(f"{what}: short read at byte {offset} ({len(data)} of {length})")
    return data


def write(image: Path, bmap: BlockMap, target: Path, progress: Progress | None = None) -> None:
    """Copy the mapped ranges, checking each against the bmap as it is read."""
    if image.stat().st_size != bmap.image_size:
        raise FlashError(f"{image}: {image.stat().st_size} bytes, the bmap says {bmap.image_size}")
    is_file = not target.exists() or stat.S_ISREG(target.stat().st_mode)
    # O_EXCL on a block device: the kernel refuses it while any partition is mounted, a last
    # guard behind DiskProbe's checks.
    flags = os.O_WRONLY | (os.O_CREAT if is_file else os.O_EXCL)
    src = os.open(image, os.O_RDONLY)
    dst = os.open(target, flags, 0o644)
    try:
        if is_file:
            os.ftruncate(dst, bmap.image_size)
        elif os.lseek(dst, 0, os.SEEK_END) < bmap.image_size:
            raise FlashError(f"{target}: smaller than the image ({bmap.image_size} bytes)")
        for r in bmap.ranges:
            digest = hashlib.sha256()
            for offset, length in _chunks(bmap, r):
                data = _read_exact(src, offset, length, str(image))
                digest.update(data)
                os.pwrite(dst, data, offset)
                if progress:
                    progress.add(length)
            if digest.hexdigest() != r.sha256:
                raise FlashError(
                    f"{image}: blocks {r.first}-{r.last} do not match the bmap "
                    "(image and bmap from different builds, or a corrupt download)"
                )
        os.fsync(dst)
    finally:
        os.close(src)
        os.close(dst)


def verify(target: Path, bmap: BlockMap, progress: Progress | None = None) -> None:
    """Read every mapped range back from the target, bypassing the page cache, and compare
    with the bmap. Raises FlashError naming the first bad range."""
    fd = os.open(target, os.O_RDONLY)
    try:
        # Drop what the write left in the page cache, so the reads come from the card.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        for r in bmap.ranges:
            digest = hashlib.sha256()
            for offset, length in _chunks(bmap, r):
                digest.update(_read_exact(fd, offset, length, str(target)))
                if progress:
                    progress.add(length)
            if digest.hexdigest() != r.sha256:
                raise FlashError(
                    f"{target}: blocks {r.first}-{r.last} read back differently from what was "
                    "written: the card or reader is failing (try another card)"
                )
    finally:
        os.close(fd)


def flash(
    image: Path,
    target: Path,
    bmap_path: Path | None = None,
    force: bool = False,
    probe: DiskProbe | None = None,
    show: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    progress: bool | None = None,
) -> BlockMap:
    """Check the target, write, verify. Raises TargetRefused or FlashError."""
    bmap_path = bmap_path or image.with_name(image.name + ".bmap")
    try:
        bmap = parse_bmap(bmap_path.read_text(encoding="utf-8"), str(bmap_path))
    except FileNotFoundError:
        raise FlashError(f"{bmap_path}: no bmap beside the image (give --bmap)") from None
    (probe or DiskProbe()).check(target, force=force)
    show(f"writing {bmap.mapped_bytes >> 20} MiB of {bmap.image_size >> 20} MiB to {target}")
    bar = Progress("write", bmap.mapped_bytes, progress)
    write(image, bmap, target, bar)
    bar.close()
    bar = Progress("verify", bmap.mapped_bytes, progress)
    verify(target, bmap, bar)
    bar.close()
    show(f"verified {len(bmap.ranges)} ranges ({bmap.mapped_blocks} blocks) on {target}")
    return bmap


HELP = "write an image to an SD card (bmap, verified read-back)"
DESCRIPTION = (
    "Write IMAGE to TARGET (a card's block device, or a file) using IMAGE.bmap: only mapped "
    "blocks are written, each checked against the map as read, then read back from the card "
    "and checked again. Mounted, system and non-removable disks are refused unless --force."
    "\n\nexample:\n  gwctl flash deskgate-rpi4.img /dev/sdb"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image", type=Path)
    p.add_argument("target", type=Path)
    p.add_argument("--bmap", type=Path, help="default: IMAGE.bmap")
    p.add_argument("--force", action="store_true", help="write even to a non-removable disk")
    p.add_argument("--verify-only", action="store_true", help="only read back and check")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_command(sub, "flash", HELP, DESCRIPTION, add_arguments, run)


def run(args: argparse.Namespace) -> int:
    """`gwctl flash`: 0, or 1 with `gwctl: <why>` on stderr."""
    try:
        if args.verify_only:
            bmap_path = args.bmap or args.image.with_name(args.image.name + ".bmap")
            bmap = parse_bmap(bmap_path.read_text(encoding="utf-8"), str(bmap_path))
            verify(args.target, bmap, Progress("verify", bmap.mapped_bytes))
            print(f"{args.target}: matches {bmap_path.name}")
        else:
            flash(args.image, args.target, args.bmap, args.force)
    except (FlashError, TargetRefused, OSError) as exc:
        return fail(exc, getattr(args, "debug", False))
    return 0
