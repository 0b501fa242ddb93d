"""The virtual bench launcher: boot Debian's kernel in QEMU (software emulation) on the host's
own root file system and run one pytest session over `tests/vbench/guest` against real kernel
devices (docs/vbench.md).

    python3 board/vbench/vbench.py [--inject-failure] [--keep DIR] [-- PYTEST ARGS]

What it does, in order:
1. finds the kernel: `/boot/vmlinuz-<release>` with its modules in `/lib/modules/<release>`
   (Debian's `linux-image-amd64`) and unpacks the uncompressed ELF image from the bzImage, so
   QEMU boots it through the PVH entry (no decompressor run under emulation);
2. builds a newc initramfs: busybox (`busybox-static`), the modules that mount 9p, and
   `initramfs-init` as /init;
3. boots `qemu-system-x86_64` (TCG, one vCPU, 512 MB) with the host root shared read-only
   over 9p and a writable output directory; `guest-init.sh` runs the pytest session there;
4. bounds the boot (a stalled early boot is killed and retried once) and the session, and
   returns the guest's exit status, its pytest output, console log and measurements.

Only the standard library: `make vbench` runs it with any Python 3.11.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = REPO / "build" / "vbench"
LOCK = Path(tempfile.gettempdir()) / "deskgate-vbench.lock"  # one QEMU at a time
BUSYBOX = Path("/bin/busybox")
QEMU = "qemu-system-x86_64"
# What /init needs before the host root is there: virtio PCI transport and 9p.
INITRAMFS_MODULES = ("virtio_pci", "9pnet_virtio", "9p")
BOOT_MARKER = "vbench: booted"
VCPUS = 2
STALL_MARKER = "vbench: initramfs up"


class BenchUnavailable(Exception):
    """This machine cannot run the bench (no QEMU, no kernel, no busybox); says what is missing
    and how to install it."""


class BenchError(Exception):
    """The bench itself failed (boot stalled twice, QEMU died, the guest timed out)."""


@dataclass
class BenchResult:
    """What one guest session left behind."""

    status: int  # pytest's exit status inside the guest
    pytest_log: str
    console: str
    measurements: dict[str, object] = field(default_factory=dict)
    boot_seconds: float = 0.0  # QEMU start → guest userland ready
    wall_seconds: float = 0.0  # the bench's own time: initramfs, boots (with retries), session
    boots: int = 1
    waited_seconds: float = 0.0  # for another bench run on this machine to finish first

    def summary(self) -> str:
        waited = ""
        if self.waited_seconds >= 1:
            waited = f"; waited {self.waited_seconds:.0f} s for another bench run"
        return (
            f"vbench: guest pytest exit {self.status}; boot {self.boot_seconds:.1f} s; "
            f"wall {self.wall_seconds:.1f} s; boots {self.boots}{waited}"
        )


def log(message: str) -> None:
    print(f"[vbench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- kernel ---------------------------------------------------------------------------------
def find_kernel() -> tuple[Path, Path]:
    """The newest `/boot/vmlinuz-*` whose modules are installed: (bzImage, modules dir)."""
    found = []
    for image in Path("/boot").glob("vmlinuz-*"):
        release = image.name.removeprefix("vmlinuz-")
        modules = Path("/lib/modules") / release
        if (modules / "modules.dep").is_file():
            found.append((image, modules))
    if not found:
        raise BenchUnavailable(
            "no kernel with modules in /boot and /lib/modules (apt-get install linux-image-amd64)"
        )
    return sorted(found, key=lambda f: _version_key(f[1].name))[-1]


def _version_key(release: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", release)]


def unpack_vmlinux(bzimage: Path, dest: Path) -> Path:
    """The uncompressed ELF kernel inside a bzImage (xz, zstd or gzip payload), cached."""
    if dest.is_file() and dest.stat().st_mtime >= bzimage.stat().st_mtime:
        return dest
    data = bzimage.read_bytes()
    elf: bytes | None = None
    xz = data.find(b"\xfd7zXZ\x00")
    if xz >= 0:
        elf = lzma.LZMADecompressor().decompress(data[xz:])
    else:
        gz = data.find(b"\x1f\x8b\x08\x00")
        zst = data.find(b"\x28\xb5\x2f\xfd")
        if zst >= 0:
            out = subprocess.run(
                ["zstd", "-dc"], input=data[zst:], capture_output=True, check=False
            )
            elf = out.stdout
        elif gz >= 0:
            import zlib

            elf = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[gz:])
    if not elf or not elf.startswith(b"\x7fELF"):
        raise BenchUnavailable(f"{bzimage}: cannot find the compressed ELF kernel inside")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(elf)
    os.replace(tmp, dest)
    return dest


# -- initramfs ------------------------------------------------------------------------------
def module_closure(modules_dir: Path, names: tuple[str, ...]) -> list[Path]:
    """The module files for `names` and everything they depend on, dependencies first."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (modules_dir / "modules.dep").read_text().splitlines():
        target, _, rest = line.partition(":")
        deps[target] = rest.split()
        stem = Path(target).name.split(".ko")[0]
        by_name[stem.replace("-", "_")] = target
    order: list[str] = []

    def visit(target: str) -> None:
        if target in order:
            return
        for dep in deps.get(target, []):
            visit(dep)
        order.append(target)

    for name in names:
        key = name.replace("-", "_")
        if key not in by_name:
            continue  # built into this kernel
        visit(by_name[key])
    return [modules_dir / t for t in order]


class _Cpio:
    """A newc ("070701") cpio archive, written in memory: what the kernel unpacks."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"") -> None:
        self.ino += 1
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0)
        header = "070701" + "".join(f"{v:08x}" for v in fields)
        blob = header.encode() + name.encode() + b"\0"
        blob += b"\0" * (-len(blob) % 4)
        blob += data + b"\0" * (-len(data) % 4)
        self.parts.append(blob)

    def directory(self, name: str) -> None:
        self._entry(name, 0o040755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, 0o100000 | mode, data)

    def bytes(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        out = b"".join(self.parts)
        return out + b"\0" * (-len(out) % 512)


def build_initramfs(modules_dir: Path, dest: Path) -> Path:
    """busybox + the 9p modules + /init. Raises `BenchUnavailable` without busybox-static."""
    if not BUSYBOX.is_file() or b"ld-linux" in BUSYBOX.read_bytes()[:4096]:
        raise BenchUnavailable(f"{BUSYBOX} missing or not static (apt-get install busybox-static)")
    archive = _Cpio()
    for d in ("bin", "dev", "proc", "sys", "newroot", "modules"):
        archive.directory(d)
    archive.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    archive.file("init", (HERE / "initramfs-init").read_bytes(), 0o755)
    files = module_closure(modules_dir, INITRAMFS_MODULES)
    for path in files:
        archive.file(f"modules/{path.name}", path.read_bytes())
    archive.file("modules.order", "\n".join(p.name for p in files).encode() + b"\n")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(archive.bytes())
    return dest


# -- QEMU -----------------------------------------------------------------------------------
def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise BenchUnavailable(f"{QEMU} not found (apt-get install qemu-system-x86)")
    return path


def qemu_command(kernel: Path, initrd: Path, out: Path, memory_mb: int = 512) -> list[str]:
    append = (
        f"console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init vbench.repo={REPO} "
        "tsc=reliable no_timer_check"
    )
    share = "security_model=none,multidevs=remap"
    return [
        qemu_binary(),
        # TCG, QEMU's emulator, never KVM: on this kind of machine /dev/kvm opens but a nested
        # guest hangs after the kernel's decompression (tried: -cpu host, max, kvm64).
        "-machine", "pc", "-accel", "tcg,tb-size=256,thread=multi", "-cpu", "max",
        # Two vCPUs: the phone test's uplink (capture, noise suppression, play) must keep
        # real time beside baresip and the service; on one emulated vCPU it fell behind.
        "-smp", str(VCPUS), "-m", str(memory_mb),
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-serial", f"file:{out / 'console.log'}",
        "-kernel", str(kernel), "-initrd", str(initrd), "-append", append,
        "-virtfs", f"local,path=/,mount_tag=hostroot,readonly=on,{share}",
        "-virtfs", f"local,path={out},mount_tag=vbenchout,{share}",
        # The repository again on its own: a checkout under /tmp, /run or /var (CI clones
        # into /tmp) would otherwise be hidden by the guest's tmpfs mounts there.
        "-virtfs", f"local,path={REPO},mount_tag=hostrepo,readonly=on,{share}",
    ]  # fmt: skip


@contextlib.contextmanager
def one_qemu_at_a_time(wait: float) -> Iterator[None]:
    """An exclusive lock shared by every bench run on this machine (2 cores, shared)."""
    with open(LOCK, "w") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BenchError(
                        f"another bench run holds {LOCK} for over {wait:.0f} s"
                    ) from None
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _boot_once(
    command: list[str], out: Path, boot_timeout: float, session_timeout: float
) -> tuple[str, float]:
    """Run QEMU until it exits. Returns ("ok" | "stalled" | "timeout" | "died", boot seconds)."""
    console = out / "console.log"
    console.write_text("")
    (out / "status").unlink(missing_ok=True)
    started = time.monotonic()
    booted_at: float | None = None
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        while True:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.5)
            now = time.monotonic() - started
            if booted_at is None and BOOT_MARKER in _read(console):
                booted_at = now
            if proc.returncode is not None:
                break
            if booted_at is None and now > boot_timeout:
                return "stalled", now
            if now > session_timeout:
                return "timeout", booted_at or now
    finally:
        if proc.returncode is None:
            proc.kill()  # only the QEMU started here
            proc.wait(timeout=30)
        assert proc.stdout is not None
        qemu_out = proc.stdout.read().decode(errors="replace")
        proc.stdout.close()
        if qemu_out.strip():
            (out / "qemu.log").write_text(qemu_out)
    if proc.returncode != 0 or booted_at is None:
        return "died", booted_at or 0.0
    return "ok", booted_at


def run_bench(
    pytest_args: list[str] | None = None,
    *,
    inject_failure: bool = False,
    boot_timeout: float = 120.0,
    session_timeout: float = 1200.0,
    retries: int = 1,
    keep: Path | None = None,
) -> BenchResult:
    """Boot the guest and run the guest pytest session once (a stalled boot is retried
    `retries` times). Raises `BenchUnavailable` when this machine cannot run it, `BenchError`
    when the bench itself fails (the message carries the guest console)."""
    qemu_binary()
    bzimage, modules_dir = find_kernel()
    started = time.monotonic()
    vmlinux = unpack_vmlinux(bzimage, CACHE / f"vmlinux-{modules_dir.name}")
    out = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="vbench-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        initrd = build_initramfs(modules_dir, out / "initramfs.cpio")
        job = {
            "VBENCH_INJECT_FAILURE": "1" if inject_failure else "",
            "VBENCH_PYTHON": str(Path(sys.executable) if _in_repo_venv() else ""),
            "VBENCH_GUEST_TIMEOUT": str(int(session_timeout - boot_timeout)),
        }
        (out / "job.env").write_text(
            "".join(f"{k}='{v}'\n" for k, v in job.items() if v), encoding="utf-8"
        )
        (out / "pytest.args").write_text("".join(f"{a}\n" for a in pytest_args or []))
        command = qemu_command(vmlinux, initrd, out)
        boots = 0
        asked = time.monotonic()
        with one_qemu_at_a_time(wait=session_timeout):
            waited = time.monotonic() - asked
            while True:
                boots += 1
                log(f"boot {boots}: {' '.join(command[:8])} …")
                outcome, boot_s = _boot_once(command, out, boot_timeout, session_timeout)
                if outcome == "stalled" and boots <= retries:
                    log(f"boot {boots} stalled (no '{BOOT_MARKER}' in {boot_timeout:.0f} s); retry")
                    continue
                break
        console = _read(out / "console.log")
        if outcome != "ok" or not (out / "status").is_file():
            why = {
                "stalled": f"the boot stalled {boots} times (no '{BOOT_MARKER}' in "
                f"{boot_timeout:.0f} s)",
                "timeout": f"the guest session ran over {session_timeout:.0f} s",
                "died": "QEMU stopped before the guest session finished",
                "ok": "the guest left no exit status",
            }[outcome]
            raise BenchError(
                f"{why}\n--- guest console ---\n{console[-6000:]}\n"
                f"--- guest pytest ---\n{_read(out / 'pytest.log')[-6000:]}\n"
                f"--- qemu ---\n{_read(out / 'qemu.log')[-2000:]}"
            )
        measurements: dict[str, object] = {}
        with contextlib.suppress(FileNotFoundError, ValueError):
            measurements = json.loads((out / "measurements.json").read_text())
        return BenchResult(
            status=int(_read(out / "status").strip() or 255),
            pytest_log=_read(out / "pytest.log"),
            console=console,
            measurements=measurements,
            boot_seconds=boot_s,
            wall_seconds=time.monotonic() - started - waited,
            boots=boots,
            waited_seconds=waited,
        )
    finally:
        if keep is None:
            shutil.rmtree(out, ignore_errors=True)


def _in_repo_venv() -> bool:
    return Path(sys.prefix).resolve() == (REPO / ".venv").resolve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vbench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--inject-failure", action="store_true", help="add a failing guest test")
    parser.add_argument("--keep", type=Path, help="keep console, pytest log and results here")
    parser.add_argument("--boot-timeout", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=1200.0, help="whole session bound (s)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for the guest")
    args = parser.parse_args(argv)
    try:
        result = run_bench(
            args.pytest_args,
            inject_failure=args.inject_failure,
            boot_timeout=args.boot_timeout,
            session_timeout=args.timeout,
            keep=args.keep,
        )
    except BenchUnavailable as exc:
        print(f"vbench: cannot run here: {exc}", file=sys.stderr)
        return 77
    except BenchError as exc:
        print(f"vbench: {exc}", file=sys.stderr)
        return 1
    print(result.pytest_log)
    if result.measurements:
        print("vbench measurements:", json.dumps(result.measurements, indent=1, sort_keys=True))
    print(result.summary())
    return result.status


if __name__ == "__main__":
    sys.exit(main())
