"""The bench's USB headset: a composite gadget (HID telephony + ACM console) in configfs,
bound to dummy_hcd's device controller so the guest's own USB host enumerates it.

    python3 board/vbench/gadget.py up|down|unbind|bind [board/vbench/gadget.toml]

`HeadsetEnd` is the far side of the cable: it writes the headset's input reports (hook,
mute) and reads the output reports (LEDs, ringer) the gateway sends, through /dev/hidgN.
Standard library only. Raises `GadgetError` when configfs refuses a step.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGFS = Path("/sys/kernel/config/usb_gadget")
LANG = "0x409"
CONFIG = "c.1"


class GadgetError(Exception):
    """configfs refused a step, or the gadget file is invalid (the message says which)."""


@dataclass(frozen=True)
class GadgetSpec:
    """What the bench's USB host will enumerate."""

    name: str
    udc: str
    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial: str
    device_class: tuple[int, int, int]
    max_power_ma: int
    report_descriptor: bytes
    report_length: int
    acm_instance: str

    @property
    def root(self) -> Path:
        return CONFIGFS / self.name

    @property
    def hid_function(self) -> str:
        return "hid.headset"

    @property
    def acm_function(self) -> str:
        return f"acm.{self.acm_instance}"


def parse_hex(text: str) -> bytes:
    """Descriptor bytes in the shared/hid-descriptors format (hex pairs, `#` comments)."""
    out = bytearray()
    for line in text.splitlines():
        for token in line.split("#", 1)[0].split():
            out.append(int(token.removeprefix("0x"), 16))
    return bytes(out)


def load(path: Path = HERE / "gadget.toml") -> GadgetSpec:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return GadgetSpec(
            name=data["name"],
            udc=data["udc"],
            vendor_id=int(data["vendor_id"]),
            product_id=int(data["product_id"]),
            manufacturer=data["manufacturer"],
            product=data["product"],
            serial=data["serial"],
            device_class=tuple(data["device_class"]),
            max_power_ma=int(data.get("max_power_ma", 100)),
            report_descriptor=parse_hex(
                (path.parent / data["hid"]["descriptor"]).read_text(encoding="utf-8")
            ),
            report_length=int(data["hid"]["report_length"]),
            acm_instance=data["acm"]["instance"],
        )
    except (KeyError, ValueError) as exc:
        raise GadgetError(f"{path}: {exc!r}") from None


def _put(path: Path, value: str | bytes) -> None:
    try:
        if isinstance(value, bytes):
            path.write_bytes(value)
        else:
            path.write_text(value + "\n", encoding="ascii")
    except OSError as exc:
        raise GadgetError(f"cannot write {path}: {exc.strerror}") from None


def up(spec: GadgetSpec) -> None:
    """Build the gadget in configfs and bind it (a no-op for parts already there)."""
    if not CONFIGFS.is_dir():
        raise GadgetError(f"{CONFIGFS} missing: modprobe libcomposite and mount configfs")
    root = spec.root
    for sub in (f"strings/{LANG}", f"configs/{CONFIG}/strings/{LANG}"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    cls, subclass, protocol = spec.device_class
    for attr, value in (
        ("idVendor", f"0x{spec.vendor_id:04x}"),
        ("idProduct", f"0x{spec.product_id:04x}"),
        ("bcdUSB", "0x0200"),
        ("bcdDevice", "0x0100"),
        ("bDeviceClass", f"0x{cls:02x}"),
        ("bDeviceSubClass", f"0x{subclass:02x}"),
        ("bDeviceProtocol", f"0x{protocol:02x}"),
        (f"strings/{LANG}/manufacturer", spec.manufacturer),
        (f"strings/{LANG}/product", spec.product),
        (f"strings/{LANG}/serialnumber", spec.serial),
        (f"configs/{CONFIG}/strings/{LANG}/configuration", "headset"),
        (f"configs/{CONFIG}/MaxPower", str(spec.max_power_ma)),
    ):
        _put(root / attr, value)
    hid = root / "functions" / spec.hid_function
    if not hid.is_dir():
        hid.mkdir(parents=True)
        _put(hid / "protocol", "0")
        _put(hid / "subclass", "0")
        _put(hid / "report_length", str(spec.report_length))
        _put(hid / "report_desc", spec.report_descriptor)
    (root / "functions" / spec.acm_function).mkdir(parents=True, exist_ok=True)
    for function in (spec.hid_function, spec.acm_function):
        link = root / "configs" / CONFIG / function
        if not link.is_symlink():
            link.symlink_to(root / "functions" / function)
    bind(spec)


def bound(spec: GadgetSpec) -> bool:
    try:
        return bool((spec.root / "UDC").read_text().strip())
    except OSError:
        return False


def bind(spec: GadgetSpec) -> None:
    """Plug the headset in (the host side enumerates it)."""
    if not bound(spec):
        _put(spec.root / "UDC", spec.udc)


def unbind(spec: GadgetSpec) -> None:
    """Unplug the headset (the host side sees a USB disconnect)."""
    if bound(spec):
        _put(spec.root / "UDC", "")


def down(spec: GadgetSpec) -> None:
    """Unbind and remove the gadget (configfs wants the reverse order of creation)."""
    root = spec.root
    if not root.exists():
        return
    unbind(spec)
    config = root / "configs" / CONFIG
    for function in (spec.hid_function, spec.acm_function):
        (config / function).unlink(missing_ok=True)
    for path in (
        config / f"strings/{LANG}",
        config,
        root / "functions" / spec.hid_function,
        root / "functions" / spec.acm_function,
        root / f"strings/{LANG}",
        root,
    ):
        with contextlib.suppress(FileNotFoundError):
            path.rmdir()


def hidg_node(spec: GadgetSpec) -> Path:
    """/dev/hidgN of the HID function (from its `dev` attribute: major:minor)."""
    major, minor = (spec.root / "functions" / spec.hid_function / "dev").read_text().split(":")
    for node in Path("/dev").glob("hidg*"):
        st = node.stat()
        if os.major(st.st_rdev) == int(major) and os.minor(st.st_rdev) == int(minor):
            return node
    raise GadgetError(f"no /dev/hidg* node for {major}:{minor} (udev or devtmpfs missing?)")


class HeadsetEnd:
    """The headset's side of the HID link: input reports out, output reports in."""

    def __init__(self, spec: GadgetSpec) -> None:
        self.path = hidg_node(spec)
        self.fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)

    def send(self, report: bytes, timeout: float = 10.0) -> None:
        """One input report (report id first), as the headset would send it. f_hid holds one
        report until the host's interrupt IN poll takes it: a second write before that gets
        EAGAIN, so wait for the node to be writable (bounded) instead of dropping the report."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                os.write(self.fd, report)
                return
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GadgetError(
                        f"{self.path}: the host took no input report in {timeout} s"
                    ) from None
                select.select([], [self.fd], [], min(left, 0.5))

    def receive(self, timeout: float) -> bytes | None:
        """The next output report the host wrote, or None after `timeout` seconds."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        try:
            return os.read(self.fd, 256)
        except BlockingIOError:
            return None

    def drain(self) -> list[bytes]:
        """Every output report already waiting."""
        out = []
        while (report := self.receive(0)) is not None:
            out.append(report)
        return out

    def wait_for(self, wanted: bytes, timeout: float) -> tuple[bytes, float] | None:
        """Read output reports until one equals `wanted`: (report, seconds waited) or None."""
        start = time.monotonic()
        while (left := start + timeout - time.monotonic()) > 0:
            report = self.receive(left)
            if report == wanted:
                return report, time.monotonic() - start
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "down", "bind", "unbind"):
        print("usage: gadget.py up|down|bind|unbind [gadget.toml]", file=sys.stderr)
        return 2
    spec = load(Path(argv[1]) if len(argv) > 1 else HERE / "gadget.toml")
    try:
        {"up": up, "down": down, "bind": bind, "unbind": unbind}[argv[0]](spec)
    except GadgetError as exc:
        print(f"vbench gadget: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
