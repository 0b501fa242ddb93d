"""`make image-test`: boot the built image's root file system in qemu-system-aarch64 -M virt
(software emulation) until systemd has started the service and it answers `status` on its
console.

    python -m host_tools.image.smoke --board rpi4 [--timeout 420]

The image itself is not changed: its root partition is copied out of the image file, and the
copy gets, with `debugfs -w` (no mount, no loop device), what makes a virt machine stand in
for the board: the simulated board in `/etc/deskgate/board.env`, its site configuration
(so the first-boot unit has nothing to do), the console on the virtio console `/dev/hvc0`
(group `deskgate`, and the getty that would take it masked) and a drop-in adding
`--headless --no-audio`. Kernel and initramfs are the image's own, read with debugfs.
The host talks to /dev/hvc0 through a UNIX socket with the real console protocol.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from firmware.console.protocol import FrameDecoder, Reply, Request, encode

REPO = Path(__file__).resolve().parents[2]
DROP_IN = (
    "[Service]\nExecStart=\nExecStart=/opt/deskgate/current/bin/deskgate run"
    " --board ${DESKGATE_BOARD} --config /etc/deskgate/site.toml"
    " --console ${DESKGATE_CONSOLE} --headless --no-audio\n"
    "DeviceAllow=/dev/hvc0 rw\n"
    # Python starts slowly under full emulation on a busy host; the unit keeps 90 s on the Pi.
    "TimeoutStartSec=5min\n"
)
UDEV = 'KERNEL=="hvc0", GROUP="deskgate", MODE="0660"\n'


def log(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def debugfs(fs: Path, *commands: str) -> str:
    script = "\n".join(commands) + "\n"
    out = subprocess.run(
        ["debugfs", "-w", "-f", "-", str(fs)], input=script, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"debugfs failed: {out.stderr}")
    return out.stdout + out.stderr


def root_partition(image: Path, work: Path) -> Path:
    table = json.loads(
        subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, check=True).stdout
    )["partitiontable"]
    part = next(p for p in table["partitions"] if p["type"] in ("83", "L"))
    out = work / "root.ext4"
    start, size = part["start"] * 512, part["size"] * 512
    subprocess.run(
        ["dd", f"if={image}", f"of={out}", "bs=4M", f"skip={start}", f"count={size}",
         "iflag=skip_bytes,count_bytes", "conv=sparse", "status=none"],
        check=True,
    )  # fmt: skip
    return out


def prepare(fs: Path, work: Path) -> tuple[Path, Path]:
    """Stand-in changes on the copy; returns (kernel, initrd) dumped from its /boot."""
    files = {
        "board.env": "DESKGATE_BOARD=sim\nDESKGATE_CONSOLE=/dev/hvc0\n",
        "site.toml": (REPO / "board/sim/site.toml").read_text(encoding="utf-8"),
        "smoke.conf": DROP_IN,
        "99-smoke.rules": UDEV,
    }
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    listing = debugfs(fs, "ls -l /boot")
    kernel = sorted(w for w in listing.split() if w.startswith("vmlinuz-"))[-1]
    initrd = sorted(w for w in listing.split() if w.startswith("initrd.img-"))[-1]
    debugfs(
        fs,
        "rm /etc/deskgate/board.env",
        f"write {work / 'board.env'} /etc/deskgate/board.env",
        f"write {work / 'site.toml'} /etc/deskgate/site.toml",
        "mkdir /etc/systemd/system/deskgate.service.d",
        f"write {work / 'smoke.conf'} /etc/systemd/system/deskgate.service.d/smoke.conf",
        f"write {work / '99-smoke.rules'} /etc/udev/rules.d/99-smoke.rules",
        "symlink /etc/systemd/system/serial-getty@hvc0.service /dev/null",
        f"dump /boot/{kernel} {work / 'vmlinuz'}",
        f"dump /boot/{initrd} {work / 'initrd'}",
    )
    return work / "vmlinuz", work / "initrd"


def ask_status(sock_path: Path, deadline: float) -> dict[str, object]:
    """Send hello + status every few seconds until a status reply arrives. Until the guest's
    driver and the service read the port, writes may block (qemu buffers little): a send
    that times out is simply retried later."""
    decoder = FrameDecoder()
    rid = 0
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(str(sock_path))
                s.settimeout(5.0)
                while time.monotonic() < deadline:
                    rid += 2
                    try:
                        s.sendall(encode(Request(rid, "hello", {"versions": [1]})))
                        s.sendall(encode(Request(rid + 1, "status")))
                    except TimeoutError:
                        pass
                    end = time.monotonic() + 5.0
                    while time.monotonic() < end:
                        try:
                            data = s.recv(65536)
                        except TimeoutError:
                            break
                        if not data:
                            raise ConnectionError("qemu closed the console socket")
                        for msg in decoder.feed(data):
                            if isinstance(msg, Reply) and msg.id == rid + 1 and msg.ok:
                                return {"result": msg.result}
        except (FileNotFoundError, ConnectionError):
            time.sleep(1.0)
    raise TimeoutError("no status reply on the console within the time limit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_tools.image.smoke")
    parser.add_argument("--board", default="rpi4")
    parser.add_argument("--image", type=Path)
    parser.add_argument("--timeout", type=float, default=420.0)
    args = parser.parse_args(argv)
    image = args.image or REPO / "build/image" / args.board / f"deskgate-{args.board}.img"
    if not image.exists():
        print(f"smoke: {image} missing: run `make image` first", file=sys.stderr)
        return 1
    qemu = shutil.which("qemu-system-aarch64")
    if not qemu:
        print("smoke: qemu-system-aarch64 missing (make image-deps)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="deskgate-smoke-") as tmp:
        work = Path(tmp)
        fs = root_partition(image, work)
        kernel, initrd = prepare(fs, work)
        sock = work / "console.sock"
        console_log = work / "serial.log"
        cmd = [
            qemu, "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024",
            "-nographic", "-no-reboot", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", "root=/dev/vda rw console=ttyAMA0 panic=-1 systemd.show_status=1",
            "-drive", f"file={fs},format=raw,if=virtio",
            "-device", "virtio-serial-device",
            "-chardev", f"socket,id=dg,path={sock},server=on,wait=off",
            "-device", "virtconsole,chardev=dg",
        ]  # fmt: skip
        log(f"booting {image.name}'s root file system in qemu-system-aarch64 -M virt")
        started = time.monotonic()
        with console_log.open("wb") as out:
            vm = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
            try:
                reply = ask_status(sock, started + args.timeout)
                elapsed = time.monotonic() - started
            except TimeoutError as exc:
                reply, elapsed = {"error": str(exc)}, time.monotonic() - started
            finally:
                vm.kill()
                vm.wait()
        serial = console_log.read_text(errors="replace")
        for marker in ("Reached target", "Started deskgate", "deskgate"):
            lines = [line for line in serial.splitlines() if marker in line]
            for line in lines[-4:]:
                print(f"  serial: {line.strip()}")
        if "error" in reply:
            print(serial[-4000:])
            log(f"FAILED after {elapsed:.0f} s: {reply['error']}")
            return 1
        log(f"status answered {elapsed:.0f} s after power-on:")
        print(json.dumps(reply["result"], indent=1)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
