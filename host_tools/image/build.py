"""`make image`: a flashable Debian bookworm arm64 image for one board, in three stages.

    python -m host_tools.image.build --board rpi4 [--out build/image] [--stage base|root|disk]

1. base  mmdebstrap (minbase, arm64 under qemu-user) with every Debian package the layers
         list, `update-initramfs` diverted to a no-op — generating an initramfs under
         emulation with the default driver list is the 26-minute trap. Cached by a digest of
         the package lists: `base-<digest>/`.
2. root  unpack, copy the layers' files, compile the overlays (host `dtc`), build the
         service's virtual environment in `/opt/deskgate/releases/<version>` (pip inside the
         arm64 root), purge the build packages, create the service user (systemd-sysusers),
         enable units (systemctl --root), lock root, drop SSH host keys and machine-id, then
         generate the initramfs once with `MODULES=list`.
3. disk  FAT boot + ext4 root built as files (mkfs.vfat + mtools, mkfs.ext4 -d), a DOS
         partition table written with sfdisk on the image file, then `.bmap` and `.sha256`.
         No loop device and no mount.

Only the chroot steps of stage 2 need root (a private mount namespace holds /proc). Every
timestamp is clamped to SOURCE_DATE_EPOCH (default: the last commit's time) and the file
system ids derive from it, so two builds from the same package versions differ only where
docs/field.md says.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

from host_tools.image.layers import ImageSpec, load_spec

REPO = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY = os.environ.get("DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
COMPONENTS = "main non-free-firmware"
RELEASES = "/opt/deskgate/releases"
MIB = 1024 * 1024
HOST_CA = os.environ.get("BUILD_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
BOOT_START_MIB = 4


class BuildError(RuntimeError):
    """A build step failed; the message names the step and the command."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: object) -> None:
    try:
        subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"{cmd[0]} failed (exit {exc.returncode}): {' '.join(cmd)}") from None


def source_date_epoch() -> int:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    out = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%ct"], capture_output=True, text=True
    )
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else 0


def chroot(root: Path, script: str, epoch: int) -> None:
    """Run a shell script inside the arm64 root, /proc mounted in a private namespace."""
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
        "SOURCE_DATE_EPOCH": str(epoch),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "HOME": "/root",
    }
    inner = f'mount -t proc proc "{root}/proc" && exec chroot "{root}" /bin/sh -ec "$0"'
    run(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, script], env=env)


def stage_base(spec: ImageSpec, out: Path, epoch: int) -> Path:
    tree = out / f"base-{spec.base_key(SUITE, MIRROR)}"
    if tree.is_dir():
        log(f"base: cached {tree.name}")
        return tree
    divert = (
        'chroot "$1" dpkg-divert --quiet --local --rename '
        "--divert /usr/sbin/update-initramfs.deskgate --add /usr/sbin/update-initramfs && "
        'ln -sf /bin/true "$1/usr/sbin/update-initramfs"'
    )
    include = ",".join(spec.packages + spec.build_packages)
    cmd = [
        "mmdebstrap",
        "--variant=minbase",
        "--arch=arm64",
        f"--include={include}",
        f"--essential-hook={divert}",
        "--aptopt=Acquire::Retries 3",
        "--format=directory",
        SUITE,
        str(tree) + ".part",
        f"deb {MIRROR} {SUITE} {COMPONENTS}",
        f"deb {MIRROR} {SUITE}-updates {COMPONENTS}",
        f"deb {SECURITY} {SUITE}-security {COMPONENTS}",
    ]
    log(f"base: mmdebstrap {len(spec.packages) + len(spec.build_packages)} packages")
    run(cmd, env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)})
    os.replace(str(tree) + ".part", tree)
    return tree


def _copy_files(spec: ImageSpec, root: Path) -> None:
    for item in spec.files:
        dest = root / item.dest.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / item.source, dest)
        dest.chmod(item.mode)
    boards = root / "usr/share/deskgate/boards"
    for board_toml in sorted((REPO / "board").glob("*/board.toml")):
        shutil.copytree(
            board_toml.parent,
            boards / board_toml.parent.name,
            ignore=shutil.ignore_patterns("image", "*.md"),
            dirs_exist_ok=True,
        )
    for dts in spec.overlays:
        target = root / "boot/firmware/overlays" / (Path(dts).stem + ".dtbo")
        target.parent.mkdir(parents=True, exist_ok=True)
        run(["dtc", "-q", "-@", "-I", "dts", "-O", "dtb", "-o", str(target), str(REPO / dts)])


def _wheel(out: Path) -> Path:
    wheels = out / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)])
    (wheel,) = wheels.glob("deskgate-*.whl")
    return wheel


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def stage_root(spec: ImageSpec, out: Path, base: Path, epoch: int) -> Path:
    root = out / "root"
    if root.exists():
        run(["rm", "-rf", "--one-file-system", str(root)])
    root.mkdir(parents=True)
    log("root: copy the base tree")
    run(["cp", "-a", "--reflink=auto", f"{base}/.", str(root)])
    _copy_files(spec, root)
    # The board the service runs and its console port (deskgate.service reads this file),
    # from the board's own service.toml.
    service = tomllib.loads((REPO / "board" / spec.board / "service.toml").read_text("utf-8"))
    _write(
        root / "etc/deskgate/board.env",
        f"DESKGATE_BOARD={spec.board}\nDESKGATE_CONSOLE={service.get('console', '')}\n",
    )
    _write(root / "etc/hostname", "deskgate\n")
    _write(root / "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\tdeskgate\n::1\tlocalhost\n")
    _write(
        root / "etc/fstab",
        f"LABEL={spec.root_label}\t/\text4\trw,noatime,errors=remount-ro\t0\t1\n"
        f"LABEL={spec.boot_label}\t/boot/firmware\tvfat\t"
        "rw,noatime,umask=0077,nofail,x-systemd.device-timeout=10s\t0\t2\n",
    )
    wheel = _wheel(out)
    shutil.copyfile(wheel, root / "tmp" / wheel.name)
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf.build")
    # The build host's CA bundle, for pip only (a proxying network adds its own CA); it is
    # removed with the other build leftovers and never trusted by the image.
    shutil.copyfile(HOST_CA, root / "tmp/build-ca.crt")
    version = wheel.name.split("-")[1]
    log(f"root: service virtual environment {RELEASES}/{version} (pip under emulation)")
    chroot(
        root,
        f"""
        mv /etc/resolv.conf /etc/resolv.conf.image 2>/dev/null || true
        cp /etc/resolv.conf.build /etc/resolv.conf
        python3 -m venv {RELEASES}/{version}
        PIP_CERT=/tmp/build-ca.crt {RELEASES}/{version}/bin/pip install -q /tmp/{wheel.name}
        ln -sfn releases/{version} /opt/deskgate/current
        apt-get purge -y -qq {" ".join(spec.build_packages)} >/dev/null
        apt-get autoremove -y -qq --purge >/dev/null
        rm -f /etc/resolv.conf /etc/resolv.conf.build /tmp/{wheel.name} /tmp/build-ca.crt
        mv /etc/resolv.conf.image /etc/resolv.conf 2>/dev/null || true
        """,
        epoch,
    )
    log("root: users, units, lock-down")
    run(["systemd-sysusers", f"--root={root}"])
    run(["systemctl", f"--root={root}", "enable", "--quiet", *spec.enable])
    if spec.disable:
        run(["systemctl", f"--root={root}", "disable", "--quiet", *spec.disable])
    _lock_down(root)
    log("root: initramfs (once, MODULES=list)")
    _write(root / "etc/initramfs-tools/conf.d/deskgate.conf", "MODULES=list\n")
    with (root / "etc/initramfs-tools/modules").open("a", encoding="utf-8") as f:
        f.write("".join(f"{m}\n" for m in spec.initramfs_modules))
    chroot(
        root,
        """
        rm -f /usr/sbin/update-initramfs
        dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
        for k in /lib/modules/*; do update-initramfs -c -k "$(basename "$k")"; done
        """,
        epoch,
    )
    _clean(root)
    _clamp(root, epoch)
    return root


def _lock_down(root: Path) -> None:
    """No password for anyone (root is `*`: no login), no SSH host keys, no machine-id."""
    shadow = root / "etc/shadow"
    lines = []
    for line in shadow.read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[1] in ("", "!"):
            fields[1] = "*"
        lines.append(":".join(fields))
    shadow.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("uninitialized\n", encoding="utf-8")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)


def _clean(root: Path) -> None:
    for pattern in (
        "var/lib/apt/lists/*",
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/log/*.log",
        "var/log/apt/*",
        "var/cache/ldconfig/aux-cache",
        "var/cache/debconf/*-old",
        "var/lib/dpkg/*-old",
        "tmp/*",
        "root/.cache",
    ):
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _clamp(root: Path, epoch: int) -> None:
    """Every timestamp to exactly `epoch` (not just those newer): files copied from a
    working tree keep their checkout times otherwise, and two checkouts would differ."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (epoch, epoch), follow_symlinks=False)
    os.utime(root, (epoch, epoch))


def _debugfs(fs: Path, commands: list[str], epoch: int, write: bool = False) -> str:
    script = fs.with_suffix(".debugfs")
    script.write_text("".join(c + "\n" for c in commands), encoding="utf-8")
    # E2FSPROGS_FAKE_TIME: closing a file system opened for writing stamps s_wtime.
    out = subprocess.run(
        ["debugfs", *(["-w"] if write else []), "-f", str(script), str(fs)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "E2FSPROGS_FAKE_TIME": str(epoch)},
    )  # fmt: skip
    script.unlink()
    return out.stdout


def _clamp_ctimes(fs: Path, epoch: int) -> int:
    """Set every inode's ctime to `epoch`. mke2fs -d copies each source file's st_ctime,
    which no system call can set (and bookworm's e2fsprogs 1.47.0 predates mke2fs's own
    SOURCE_DATE_EPOCH support), so without this two assemblies of one tree differ."""
    inodes, level = {2}, ["/"]
    while level:
        listing = _debugfs(fs, [f'ls -p "{d}"' for d in level], epoch)
        nxt, current = [], "/"
        for line in listing.splitlines():
            if line.startswith("debugfs: ls -p "):
                current = line[len("debugfs: ls -p ") :].strip('"')
                continue
            fields = line.split("/")
            if len(fields) < 6 or fields[5] in (".", ".."):
                continue
            inodes.add(int(fields[1]))
            if fields[2].startswith("04"):
                nxt.append(current.rstrip("/") + "/" + fields[5])
        level = nxt
    _debugfs(fs, [f"sif <{i}> ctime @{epoch}" for i in sorted(inodes)], epoch, write=True)
    return len(inodes)


def _du_mib(path: Path) -> int:
    out = subprocess.run(["du", "-sxm", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def stage_disk(spec: ImageSpec, out: Path, root: Path, epoch: int) -> Path:
    env = {
        **os.environ,
        "E2FSPROGS_FAKE_TIME": str(epoch),
        "MTOOLS_SKIP_CHECK": "1",
        "SOURCE_DATE_EPOCH": str(epoch),
    }
    seed = f"deskgate-{spec.board}-{epoch}"
    bootfs = out / "bootfs"
    if bootfs.exists():
        shutil.rmtree(bootfs)
    shutil.copytree(root / "boot/firmware", bootfs, symlinks=True)
    _write(
        bootfs / "deskgate-provision.example.toml",
        (REPO / "board/common/image/provision.example.toml").read_text(encoding="utf-8"),
    )
    _clamp(bootfs, epoch)

    boot_img, root_img = out / "boot.vfat", out / "root.ext4"
    boot_img.unlink(missing_ok=True)
    volid = hashlib.sha256(seed.encode()).hexdigest()[:8]
    run(
        [
            "mkfs.vfat",
            "-C",
            "-F",
            "32",
            "-n",
            spec.boot_label,
            "-i",
            volid,
            "--invariant",
            str(boot_img),
            str(spec.boot_size_mib * 1024),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    run(
        ["mcopy", "-s", "-p", "-m", "-i", str(boot_img), *map(str, sorted(bootfs.iterdir())), "::"],
        env=env,
    )
    root_mib = int(_du_mib(root) * 1.25) + 256
    fs_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "-root"))
    seed_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "-hash"))
    root_img.unlink(missing_ok=True)
    log(f"disk: root file system {root_mib} MiB")
    # The boot partition is mounted over /boot/firmware: the root holds an empty directory.
    hold = out / "firmware.hold"
    os.rename(root / "boot/firmware", hold)
    (root / "boot/firmware").mkdir()
    os.utime(root / "boot/firmware", (epoch, epoch))
    os.utime(root / "boot", (epoch, epoch))
    try:
        run(
            [
                "mkfs.ext4",
                "-q",
                "-F",
                "-L",
                spec.root_label,
                "-U",
                fs_uuid,
                "-E",
                f"hash_seed={seed_uuid},root_owner=0:0",
                "-d",
                str(root),
                str(root_img),
                f"{root_mib}M",
            ],
            env=env,
        )
    finally:
        (root / "boot/firmware").rmdir()
        os.rename(hold, root / "boot/firmware")
        os.utime(root / "boot", (epoch, epoch))
    log(f"disk: ctime of {_clamp_ctimes(root_img, epoch)} inodes set to SOURCE_DATE_EPOCH")

    image = out / f"deskgate-{spec.board}.img"
    boot_start = BOOT_START_MIB * MIB
    root_start = boot_start + spec.boot_size_mib * MIB
    total = root_start + root_mib * MIB
    image.unlink(missing_ok=True)
    with image.open("wb") as f:
        f.truncate(total)
    table = (
        "label: dos\n"
        f"label-id: 0x{volid}\n"
        f"start={boot_start // 512}, size={spec.boot_size_mib * MIB // 512}, type=c\n"
        f"start={root_start // 512}, size={root_mib * MIB // 512}, type=83\n"
    )
    run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", str(image)], input=table.encode())
    for part, offset in ((boot_img, boot_start), (root_img, root_start)):
        run(
            [
                "dd",
                f"if={part}",
                f"of={image}",
                "bs=1M",
                f"seek={offset // MIB}",
                "conv=notrunc,sparse",
                "status=none",
            ]
        )
    boot_img.unlink()
    root_img.unlink()
    log("disk: bmap and checksum")
    bmap = image.with_suffix(".img.bmap")
    run(["bmaptool", "-q", "create", "-o", str(bmap), str(image)])
    digest = hashlib.sha256()
    with image.open("rb") as f:
        for chunk in iter(lambda: f.read(4 * MIB), b""):
            digest.update(chunk)
    _write(image.with_suffix(".img.sha256"), f"{digest.hexdigest()}  {image.name}\n")
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_tools.image.build")
    parser.add_argument("--board", default="rpi4")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "image")
    parser.add_argument(
        "--stage",
        choices=("base", "root", "disk"),
        default="disk",
        help="stop after this stage (earlier ones are reused when present)",
    )
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("build: stage 2 chroots into the arm64 root: run as root", file=sys.stderr)
        return 1
    epoch = source_date_epoch()
    spec = load_spec(REPO / "board", args.board)
    out = args.out / spec.board
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        base = stage_base(spec, out, epoch)
        log(f"base ready ({time.monotonic() - started:.0f} s)")
        if args.stage == "base":
            return 0
        done = out / "root.done"
        if args.stage == "root" or not done.exists():
            done.unlink(missing_ok=True)
            stage_root(spec, out, base, epoch)
            done.touch()
        root = out / "root"
        log(f"root ready ({time.monotonic() - started:.0f} s)")
        if args.stage == "root":
            return 0
        image = stage_disk(spec, out, root, epoch)
    except BuildError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 1
    size = image.stat().st_size
    log(f"image {image} ({size / MIB:.0f} MiB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
