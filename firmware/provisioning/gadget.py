"""The USB gadget that makes the gateway's USB-C port a serial port: configfs, from data.

    python -m firmware.provisioning.gadget up   board/rpi4/gadget.toml
    python -m firmware.provisioning.gadget down board/rpi4/gadget.toml

`gadget.toml` (board data) names the gadget, its USB identity, the UDC to bind and the
functions (`acm.<name>` → /dev/ttyGS0, …). `up` builds the tree under
`/sys/kernel/config/usb_gadget/<name>` and binds it last; `down` unbinds and removes it.
`--configfs` points elsewhere (tests use a plain directory: the files it writes are the
same, only configfs would create the attribute files by itself).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIGFS = Path("/sys/kernel/config/usb_gadget")
UDC_CLASS = Path("/sys/class/udc")
LANG = "0x409"  # US English string table
CONFIG = "c.1"


class GadgetError(Exception):
    """The gadget file is invalid, or configfs refused a step (the message says which)."""


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


def load(path: Path) -> Gadget:
    """Read and check `gadget.toml`. Raises GadgetError naming the file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GadgetError(f"{path}: {exc}") from None
    try:
        gadget = Gadget(
            name=str(data["name"]),
            udc=str(data.get("udc", "auto")),
            vendor_id=int(data["vendor_id"]),
            product_id=int(data["product_id"]),
            manufacturer=str(data["manufacturer"]),
            product=str(data["product"]),
            serial_from=str(data.get("serial_from", "")),
            max_power_ma=int(data.get("max_power_ma", 100)),
            functions=tuple(str(f) for f in data["functions"]),
        )
    except KeyError as exc:
        raise GadgetError(f"{path}: missing key {exc.args[0]}") from None
    for function in gadget.functions:
        kind, _, instance = function.partition(".")
        if kind not in ("acm", "gser") or not instance:
            raise GadgetError(f"{path}: functions: {function!r} is not acm.<name> or gser.<name>")
    if not (0 <= gadget.vendor_id <= 0xFFFF and 0 <= gadget.product_id <= 0xFFFF):
        raise GadgetError(f"{path}: vendor_id/product_id must be 16-bit")
    return gadget


def _serial(gadget: Gadget) -> str:
    try:
        text = Path(gadget.serial_from).read_bytes().rstrip(b"\0\n").decode("ascii")
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


def _put(path: Path, value: str) -> None:
    try:
        path.write_text(value + "\n", encoding="ascii")
    except OSError as exc:
        raise GadgetError(f"cannot write {path}: {exc.strerror}") from None


def up(gadget: Gadget, configfs: Path = CONFIGFS, udc_class: Path = UDC_CLASS) -> Path:
    """Create and bind the gadget; returns its configfs directory."""
    root = configfs / gadget.name
    try:
        for sub in (f"strings/{LANG}", f"configs/{CONFIG}/strings/{LANG}"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        _put(root / "idVendor", f"0x{gadget.vendor_id:04x}")
        _put(root / "idProduct", f"0x{gadget.product_id:04x}")
        _put(root / "bcdUSB", "0x0200")
        _put(root / "bcdDevice", "0x0100")
        _put(root / f"strings/{LANG}/manufacturer", gadget.manufacturer)
        _put(root / f"strings/{LANG}/product", gadget.product)
        _put(root / f"strings/{LANG}/serialnumber", _serial(gadget))
        config = root / "configs" / CONFIG
        _put(config / f"strings/{LANG}/configuration", "console")
        _put(config / "MaxPower", str(gadget.max_power_ma))
        for function in gadget.functions:
            (root / "functions" / function).mkdir(parents=True, exist_ok=True)
            link = config / function
            if not link.is_symlink():
                link.symlink_to(root / "functions" / function)
    except OSError as exc:
        raise GadgetError(f"configfs {root}: {exc}") from None
    _put(root / "UDC", _udc(gadget, udc_class))
    return root


def down(gadget: Gadget, configfs: Path = CONFIGFS) -> None:
    """Unbind and remove the gadget (configfs wants the reverse order of creation)."""
    root = configfs / gadget.name
    if not root.exists():
        return
    _put(root / "UDC", "")
    config = root / "configs" / CONFIG
    try:
        for function in gadget.functions:
            (config / function).unlink(missing_ok=True)
        for path in (config / f"strings/{LANG}", config, root / f"strings/{LANG}"):
            if path.is_dir():
                path.rmdir()
        for function in gadget.functions:
            if (root / "functions" / function).is_dir():
                (root / "functions" / function).rmdir()
        root.rmdir()
    except OSError as exc:
        raise GadgetError(f"configfs {root}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware.provisioning.gadget")
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("config", type=Path, help="the board's gadget.toml")
    parser.add_argument("--configfs", type=Path, default=CONFIGFS)
    args = parser.parse_args(argv)
    try:
        gadget = load(args.config)
        if args.action == "up":
            root = up(gadget, args.configfs)
            udc = (root / "UDC").read_text(encoding="ascii").strip()
            print(f"gadget {gadget.name} bound to {udc}")
        else:
            down(gadget, args.configfs)
    except GadgetError as exc:
        print(f"deskgate-gadget: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
