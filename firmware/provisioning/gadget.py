"""USB gadgets in configfs, from data: the gateway's USB-C console, the bench's headset.

    python -m firmware.provisioning.gadget up   board/rpi4/gadget.toml
    python -m firmware.provisioning.gadget down board/rpi4/gadget.toml

`gadget.toml` (board data) names the gadget, its USB identity, the UDC to bind and the
functions: `acm.<name>` / `gser.<name>` (a serial port, /dev/ttyGS0 …) and `hid.<name>`
(a HID device, /dev/hidgN, whose report descriptor file and report length are given in a
`[hid.<name>]` table). `up` builds the tree under `/sys/kernel/config/usb_gadget/<name>`
and binds it last; `down` unbinds and removes it in the reverse order configfs wants.
`--configfs` points elsewhere (tests use a plain directory: the files it writes are the
same, only configfs would create the attribute files by itself).

The Raspberry Pi 4 uses it for its console (board/rpi4/gadget.toml); the virtual bench for
its Jabra-shaped headset with a console (board/vbench/gadget.toml, on dummy_hcd).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.hid.descriptor import DescriptorError, parse_hex_text

CONFIGFS = Path("/sys/kernel/config/usb_gadget")
UDC_CLASS = Path("/sys/class/udc")
LANG = "0x409"  # US English string table
CONFIG = "c.1"
KINDS = ("acm", "gser", "hid")


class GadgetError(Exception):
    """The gadget file is invalid, or configfs refused a step (the message says which)."""


@dataclass(frozen=True)
class HidFunction:
    """A HID function's fixed attributes (configfs takes them only before binding)."""

    report_descriptor: bytes
    report_length: int
    protocol: int = 0
    subclass: int = 0


@dataclass(frozen=True)
class Gadget:
    """What the host sees when it enumerates the port."""

    name: str
    udc: str
    vendor_id: int
    product_id: int
    manufacturer: str
    product: str
    serial_from: str
    max_power_ma: int
    functions: tuple[str, ...]
    serial_literal: str = ""
    device_class: tuple[int, int, int] | None = None
    configuration: str = "console"
    hid: dict[str, HidFunction] = field(default_factory=dict)

    @property
    def serial(self) -> str:
        """The serial number string: the literal one, else read from `serial_from`."""
        return self.serial_literal or _serial_from(self.serial_from)

    @property
    def report_descriptor(self) -> bytes:
        """The first HID function's report descriptor (b"" without one)."""
        return next(iter(self.hid.values())).report_descriptor if self.hid else b""


def load(path: Path) -> Gadget:
    """Read and check `gadget.toml`. Raises GadgetError naming the file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GadgetError(f"{path}: {exc}") from None
    try:
        functions = tuple(str(f) for f in data["functions"])
        for function in functions:
            kind, _, instance = function.partition(".")
            if kind not in KINDS or not instance:
                raise GadgetError(
                    f"{path}: functions: {function!r} is not acm.<name>, gser.<name> or hid.<name>"
                )
        cls = data.get("device_class")
        gadget = Gadget(
            name=str(data["name"]),
            udc=str(data.get("udc", "auto")),
            vendor_id=int(data["vendor_id"]),
            product_id=int(data["product_id"]),
            manufacturer=str(data["manufacturer"]),
            product=str(data["product"]),
            serial_from=str(data.get("serial_from", "")),
            serial_literal=str(data.get("serial", "")),
            max_power_ma=int(data.get("max_power_ma", 100)),
            functions=functions,
            device_class=None if cls is None else (int(cls[0]), int(cls[1]), int(cls[2])),
            configuration=str(data.get("configuration", "console")),
            hid={
                f: _hid(path, data, f.partition(".")[2]) for f in functions if f.startswith("hid.")
            },
        )
    except KeyError as exc:
        raise GadgetError(f"{path}: missing key {exc.args[0]}") from None
    except (TypeError, ValueError, IndexError) as exc:
        raise GadgetError(f"{path}: {exc}") from None
    if not (0 <= gadget.vendor_id <= 0xFFFF and 0 <= gadget.product_id <= 0xFFFF):
        raise GadgetError(f"{path}: vendor_id/product_id must be 16-bit")
    return gadget


def _hid(path: Path, data: dict[str, Any], instance: str) -> HidFunction:
    table = data.get("hid", {}).get(instance)
    if table is None:
        raise GadgetError(f"{path}: functions lists hid.{instance}; no [hid.{instance}] table")
    descriptor = path.parent / str(table["descriptor"])
    try:
        report = parse_hex_text(descriptor.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GadgetError(f"{path}: hid.{instance}.descriptor: {exc}") from None
    except DescriptorError as exc:
        raise GadgetError(f"{descriptor}: {exc}") from None
    return HidFunction(
        report_descriptor=report,
        report_length=int(table["report_length"]),
        protocol=int(table.get("protocol", 0)),
        subclass=int(table.get("subclass", 0)),
    )


def _serial_from(source: str) -> str:
    try:
        text = Path(source).read_bytes().rstrip(b"\0\n").decode("ascii")
    except (OSError, UnicodeDecodeError, ValueError):
        return "0"
    return text or "0"


def _udc(gadget: Gadget, udc_class: Path) -> str:
    if gadget.udc != "auto":
        return gadget.udc
    found = sorted(p.name for p in udc_class.iterdir()) if udc_class.is_dir() else []
    if not found:
        raise GadgetError(f"no USB device controller in {udc_class} (is dwc2 in peripheral mode?)")
    return found[0]


def _put(path: Path, value: str | bytes) -> None:
    try:
        if isinstance(value, bytes):
            path.write_bytes(value)
        else:
            path.write_text(value + "\n", encoding="ascii")
    except OSError as exc:
        raise GadgetError(f"cannot write {path}: {exc.strerror}") from None


def up(gadget: Gadget, configfs: Path = CONFIGFS, udc_class: Path = UDC_CLASS) -> Path:
    """Create the gadget (parts already there are kept) and bind it; returns its directory."""
    if configfs == CONFIGFS and not configfs.is_dir():
        raise GadgetError(f"{configfs} missing: modprobe libcomposite and mount configfs")
    root = configfs / gadget.name
    attrs = [
        ("idVendor", f"0x{gadget.vendor_id:04x}"),
        ("idProduct", f"0x{gadget.product_id:04x}"),
        ("bcdUSB", "0x0200"),
        ("bcdDevice", "0x0100"),
        (f"strings/{LANG}/manufacturer", gadget.manufacturer),
        (f"strings/{LANG}/product", gadget.product),
        (f"strings/{LANG}/serialnumber", gadget.serial),
        (f"configs/{CONFIG}/strings/{LANG}/configuration", gadget.configuration),
        (f"configs/{CONFIG}/MaxPower", str(gadget.max_power_ma)),
    ]
    if gadget.device_class is not None:
        # A composite with ACM needs the IAD class (Miscellaneous / Common / IAD, EF/02/01)
        # for Windows and for Linux's cdc_acm to pair the two interfaces.
        names = ("bDeviceClass", "bDeviceSubClass", "bDeviceProtocol")
        attrs += [(n, f"0x{v:02x}") for n, v in zip(names, gadget.device_class, strict=True)]
    try:
        for sub in (f"strings/{LANG}", f"configs/{CONFIG}/strings/{LANG}"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for attr, value in attrs:
            _put(root / attr, value)
        config = root / "configs" / CONFIG
        for function in gadget.functions:
            directory = root / "functions" / function
            fresh = not directory.is_dir()
            directory.mkdir(parents=True, exist_ok=True)
            hid = gadget.hid.get(function)
            if hid is not None and fresh:  # fixed once the function exists
                _put(directory / "protocol", str(hid.protocol))
                _put(directory / "subclass", str(hid.subclass))
                _put(directory / "report_length", str(hid.report_length))
                _put(directory / "report_desc", hid.report_descriptor)
            link = config / function
            if not link.is_symlink():
                link.symlink_to(directory)
    except OSError as exc:
        raise GadgetError(f"configfs {root}: {exc}") from None
    bind(gadget, configfs, udc_class)
    return root


def bound(gadget: Gadget, configfs: Path = CONFIGFS) -> bool:
    try:
        return bool((configfs / gadget.name / "UDC").read_text().strip())
    except OSError:
        return False


def bind(gadget: Gadget, configfs: Path = CONFIGFS, udc_class: Path = UDC_CLASS) -> None:
    """Plug the device in: the host side enumerates it."""
    if not bound(gadget, configfs):
        _put(configfs / gadget.name / "UDC", _udc(gadget, udc_class))


def unbind(gadget: Gadget, configfs: Path = CONFIGFS) -> None:
    """Unplug the device: the host side sees a USB disconnect."""
    if bound(gadget, configfs):
        _put(configfs / gadget.name / "UDC", "")


def down(gadget: Gadget, configfs: Path = CONFIGFS) -> None:
    """Unbind and remove the gadget (configfs wants the reverse order of creation)."""
    root = configfs / gadget.name
    if not root.exists():
        return
    unbind(gadget, configfs)
    config = root / "configs" / CONFIG
    try:
        for function in gadget.functions:
            (config / function).unlink(missing_ok=True)
        for path in (
            config / f"strings/{LANG}",
            config,
            *(root / "functions" / f for f in gadget.functions),
            root / f"strings/{LANG}",
            root,
        ):
            with contextlib.suppress(FileNotFoundError):
                path.rmdir()
    except OSError as exc:
        raise GadgetError(f"configfs {root}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m firmware.provisioning.gadget",
        description="Build (up), remove (down), plug (bind) or unplug (unbind) a USB gadget.",
    )
    parser.add_argument("action", choices=("up", "down", "bind", "unbind"))
    parser.add_argument("config", type=Path, help="the board's gadget.toml")
    parser.add_argument("--configfs", type=Path, default=CONFIGFS)
    args = parser.parse_args(argv)
    try:
        gadget = load(args.config)
        if args.action == "up":
            root = up(gadget, args.configfs)
            udc = (root / "UDC").read_text(encoding="ascii").strip()
            print(f"gadget {gadget.name} bound to {udc}")
        elif args.action == "down":
            down(gadget, args.configfs)
        elif args.action == "bind":
            bind(gadget, args.configfs)
        else:
            unbind(gadget, args.configfs)
    except GadgetError as exc:
        print(f"deskgate-gadget: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
