"""gwctl flash on file-backed targets: bmap copy + read-back verify, corruption detected,
and the targets it must refuse (described by a fake sysfs and mount table)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from host_tools.installer import bmap as flashing
from host_tools.installer.disks import DiskProbe, TargetRefused

BLOCK = 4096


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4 MiB sparse image with data in three places, and its bmap from bmaptool."""
    path = tmp_path_factory.mktemp("image") / "card.img"
    with path.open("wb") as f:
        f.truncate(4 << 20)
        for block, count in ((0, 3), (100, 2), (1000, 17)):
            f.seek(block * BLOCK)
            f.write(os.urandom(count * BLOCK))
    tool = shutil.which("bmaptool")
    assert tool, "bmaptool missing: `make test` installs the Debian package bmap-tools"
    subprocess.run([tool, "-q", "create", "-o", f"{path}.bmap", str(path)], check=True)
    return path


@pytest.fixture
def image(master: Path, tmp_path: Path) -> Path:
    """A private copy of the image and its bmap (tests corrupt them)."""
    path = tmp_path / master.name
    shutil.copy(master, path)
    shutil.copy(f"{master}.bmap", f"{path}.bmap")
    return path


def quiet(line: str) -> None:
    pass


def test_bmaptool_map_is_parsed(image: Path) -> None:
    bmap = flashing.parse_bmap(Path(f"{image}.bmap").read_text())
    assert (bmap.block_size, bmap.image_size) == (BLOCK, 4 << 20)
    assert [(r.first, r.last) for r in bmap.ranges] == [(0, 2), (100, 101), (1000, 1016)]
    assert bmap.mapped_blocks == 22


def test_flash_to_a_file_writes_only_mapped_blocks_and_verifies(
    image: Path, tmp_path: Path
) -> None:
    target = tmp_path / "sdcard.bin"
    with target.open("wb") as f:  # an old card full of 0xff
        f.write(b"\xff" * (4 << 20))
    bmap = flashing.flash(image, target, show=quiet, progress=False)
    data, written = image.read_bytes(), target.read_bytes()
    for r in bmap.ranges:
        span = slice(r.first * BLOCK, (r.last + 1) * BLOCK)
        assert written[span] == data[span]
    assert written[50 * BLOCK : 51 * BLOCK] == b"\xff" * BLOCK  # unmapped: not written


def test_a_block_that_reads_back_differently_is_detected(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "sdcard.bin"
    bmap = flashing.flash(image, target, show=quiet, progress=False)
    with target.open("r+b") as f:  # the card dropped one byte of block 1005
        f.seek(1005 * BLOCK + 17)
        f.write(b"\x00" if image.read_bytes()[1005 * BLOCK + 17] else b"\x01")
    with pytest.raises(flashing.FlashError, match="blocks 1000-1016 read back differently"):
        flashing.verify(target, bmap)


def test_an_image_that_does_not_match_its_bmap_is_refused(image: Path, tmp_path: Path) -> None:
    with image.open("r+b") as f:
        f.seek(101 * BLOCK)
        f.write(b"corrupt download")
    with pytest.raises(flashing.FlashError, match="blocks 100-101 do not match the bmap"):
        flashing.flash(image, tmp_path / "out.bin", show=quiet, progress=False)


def test_a_damaged_bmap_is_refused(image: Path, tmp_path: Path) -> None:
    text = Path(f"{image}.bmap").read_text().replace("100-101", "100-102")
    with pytest.raises(flashing.FlashError, match="own checksum"):
        flashing.parse_bmap(text)


def test_cli_verify_only_reports_through_gwctl_conventions(
    image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    flashing.register(sub)
    target = tmp_path / "t.bin"
    flashing.flash(image, target, show=quiet, progress=False)
    args = parser.parse_args(["flash", str(image), str(target), "--verify-only"])
    assert args.func(args) == 0
    with target.open("r+b") as f:
        f.seek(5)
        f.write(b"XXXX")
    assert args.func(args) == 1
    assert capsys.readouterr().err.startswith("gwctl: ")


# --- refusals: a fake sysfs with one USB card reader, one internal disk, one loop device ---


def fake_sysfs(tmp_path: Path) -> Path:
    sys_root = tmp_path / "sys"

    def disk(path: str, dev: str, removable: str, parts: dict[str, str]) -> None:
        d = sys_root / path
        d.mkdir(parents=True)
        (d / "dev").write_text(dev + "\n")
        (d / "removable").write_text(removable + "\n")
        (d / "holders").mkdir()
        (sys_root / "dev/block").mkdir(parents=True, exist_ok=True)
        (sys_root / "dev/block" / dev).symlink_to(d)
        for name, pdev in parts.items():
            p = d / name
            p.mkdir()
            (p / "partition").write_text("1\n")
            (p / "dev").write_text(pdev + "\n")
            (p / "holders").mkdir()
            (sys_root / "dev/block" / pdev).symlink_to(p)

    disk("devices/pci0000:00/usb2/2-1/host6/block/sdb", "8:16", "1", {"sdb1": "8:17"})
    disk("devices/pci0000:00/ata1/host0/block/sda", "8:0", "0", {"sda1": "8:1", "sda2": "8:2"})
    disk("devices/virtual/block/loop7", "7:7", "0", {"loop7p1": "259:1"})
    (sys_root / "block").mkdir()
    (sys_root / "block/loop7").symlink_to(sys_root / "devices/virtual/block/loop7")
    (sys_root / "devices/virtual/block/loop7/loop").mkdir()
    return sys_root


def probe(tmp_path: Path, mounts: list[tuple[str, str]], swaps: str = "") -> DiskProbe:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "".join(f"{i} 1 {dev} / {mp} rw - ext4 /dev/x rw\n" for i, (dev, mp) in enumerate(mounts))
    )
    swap_file = tmp_path / "swaps"
    swap_file.write_text("Filename Type Size Used Priority\n" + swaps)
    devices = {"/dev/sdb": (8, 16), "/dev/sda": (8, 0), "/dev/sda2": (8, 2)}

    def fake_stat(path: Path) -> os.stat_result:
        if str(path) in devices:
            return _BlockNode(os.makedev(*devices[str(path)]))  # type: ignore[return-value]
        return os.stat(path)

    return DiskProbe(fake_sysfs(tmp_path), mountinfo, swap_file, fake_stat)


class _BlockNode:
    """A stat result for a block device node (os.stat_result cannot carry st_rdev)."""

    def __init__(self, rdev: int) -> None:
        self.st_mode = stat.S_IFBLK | 0o660
        self.st_rdev = rdev


def test_a_removable_usb_card_that_is_not_mounted_is_accepted(tmp_path: Path) -> None:
    probe(tmp_path, [("8:2", "/")]).check(Path("/dev/sdb"))


def test_a_mounted_card_is_refused(tmp_path: Path) -> None:
    p = probe(tmp_path, [("8:2", "/"), ("8:17", "/media/tech/RASPIFIRM")])
    with pytest.raises(TargetRefused, match="sdb1 is mounted on /media/tech/RASPIFIRM"):
        p.check(Path("/dev/sdb"), force=True)


def test_the_system_disk_is_refused_even_with_force(tmp_path: Path) -> None:
    p = probe(tmp_path, [("8:2", "/")])
    with pytest.raises(TargetRefused, match="system disk"):
        p.check(Path("/dev/sda2"), force=True)


def test_a_non_removable_disk_is_refused_unless_forced(tmp_path: Path) -> None:
    p = probe(tmp_path, [])
    with pytest.raises(TargetRefused, match="not a removable, USB or SD card disk"):
        p.check(Path("/dev/sda"))
    p.check(Path("/dev/sda"), force=True)


def test_swap_on_the_target_is_refused(tmp_path: Path) -> None:
    p = probe(tmp_path, [], swaps="/dev/sdb1 partition 1024 0 -2\n")
    with pytest.raises(TargetRefused, match="swap /dev/sdb1"):
        p.check(Path("/dev/sdb"))


def test_an_image_file_mounted_through_a_loop_device_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "card.img"
    target.write_bytes(b"\0" * 4096)
    p = probe(tmp_path, [("259:1", "/mnt/card")])
    (tmp_path / "sys/devices/virtual/block/loop7/loop/backing_file").write_text(
        f"{target.resolve()}\n"
    )
    with pytest.raises(TargetRefused, match="mounted through /dev/loop7p1 on /mnt/card"):
        p.check(target)
    (tmp_path / "again").mkdir()
    probe(tmp_path / "again", []).check(target)  # the same file, not mounted: fine


def test_flash_refuses_before_writing_anything(image: Path, tmp_path: Path) -> None:
    target = tmp_path / "card.bin"
    target.write_bytes(b"\xee" * 8192)
    p = probe(tmp_path, [("259:1", "/mnt/card")])
    (tmp_path / "sys/devices/virtual/block/loop7/loop/backing_file").write_text(
        f"{target.resolve()}\n"
    )
    with pytest.raises(TargetRefused):
        flashing.flash(image, target, probe=p, show=quiet, progress=False)
    assert target.read_bytes() == b"\xee" * 8192


def test_gwctl_flash_command_end_to_end(
    image: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from host_tools.gwctl.cli import main

    target = tmp_path / "card.bin"
    assert main(["flash", str(image), str(target)]) == 0
    assert "verified 3 ranges" in capsys.readouterr().err
    assert main(["flash", str(image), str(target), "--bmap", str(tmp_path / "nope.bmap")]) == 1
    assert capsys.readouterr().err.startswith("gwctl: ")
