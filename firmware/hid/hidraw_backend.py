"""The real HID backend: hidapi's ``hidraw`` module for I/O, pyudev netlink events for hot-plug.

The ``hidraw`` build of hidapi talks to /dev/hidrawN through the kernel's HID driver; the libusb
build (``hid`` module) would detach that driver and break the headset's audio interface, so it
is never used here. Hot-plug comes from udev over netlink (no polling). A read or write failure
(the kernel answers EIO or ENODEV once the headset is unplugged) is raised as `DeviceGone`.

Only this module imports hidapi and pyudev; both are imported when a backend is made, so the
rest of the package (and `deskgate hid describe`/`replay`) work without them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from firmware.hid.backend import DeviceGone, DeviceInfo, HotplugCallback

log = logging.getLogger(__name__)

TELEPHONY_PAGE = 0x0B


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


class HidrawDevice:
    """One headset opened through hidapi's ``hidraw`` module. Raises `DeviceGone`."""

    def __init__(self, info: DeviceInfo, handle: Any) -> None:
        self.info = info
        self._handle = handle

    def report_descriptor(self) -> bytes:
        try:
            return bytes(self._handle.get_report_descriptor())
        except (OSError, ValueError) as exc:
            raise DeviceGone(f"{self.info.path}: cannot read the report descriptor: {exc}") from exc

    def read(self, size: int, timeout_ms: int) -> bytes:
        try:
            return bytes(self._handle.read(size, timeout_ms))
        except (OSError, ValueError) as exc:  # hidapi: "read error" after EIO / ENODEV
            raise DeviceGone(f"{self.info.path}: read failed: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            written = self._handle.write(data)
        except (OSError, ValueError) as exc:
            raise DeviceGone(f"{self.info.path}: write failed: {exc}") from exc
        if written is not None and written < 0:
            raise DeviceGone(f"{self.info.path}: write failed")

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone
            self._handle.close()


def _usb_port(udev_device: Any) -> str:
    """The USB port path (``1-1.2``) of a hidraw node's USB device, or ""."""
    parent = udev_device.find_parent("usb", "usb_device")
    return "" if parent is None else str(parent.sys_name)


class HidrawBackend:
    """`HidBackend` over /dev/hidraw*. Lists only devices that expose a Telephony (0x0B) top-level
    collection; whether it really carries call controls is decided from its descriptor."""

    def __init__(self) -> None:
        import hidraw
        import pyudev

        self._hidraw = hidraw
        self._pyudev = pyudev
        self._context = pyudev.Context()

    def _port_of(self, path: str) -> str:
        try:
            dev = self._pyudev.Devices.from_device_file(self._context, path)
        except (OSError, ValueError, self._pyudev.DeviceNotFoundError):
            return ""
        return _usb_port(dev)

    def enumerate(self) -> list[DeviceInfo]:
        seen: dict[str, DeviceInfo] = {}
        for entry in self._hidraw.enumerate():
            if entry.get("usage_page") != TELEPHONY_PAGE:
                continue
            path = _text(entry.get("path"))
            if path in seen:
                continue
            seen[path] = DeviceInfo(
                path=path,
                vendor_id=int(entry.get("vendor_id", 0)),
                product_id=int(entry.get("product_id", 0)),
                serial=_text(entry.get("serial_number")),
                product=_text(entry.get("product_string")),
                port=self._port_of(path),
            )
        return sorted(seen.values(), key=lambda i: i.path)

    def open(self, info: DeviceInfo) -> HidrawDevice:
        handle = self._hidraw.device()
        try:
            handle.open_path(info.path.encode())
        except (OSError, ValueError) as exc:
            raise DeviceGone(f"{info.path}: cannot open: {exc}") from exc
        return HidrawDevice(info, handle)

    def _info_from_udev(self, dev: Any) -> DeviceInfo:
        path = str(dev.device_node or "")
        hid = dev.find_parent("hid")
        vid = pid = 0
        serial = product = ""
        if hid is not None:
            # HID_ID is "0003:00000B0E:000024C9" (bus:vendor:product)
            parts = str(hid.properties.get("HID_ID", "")).split(":")
            if len(parts) == 3:
                vid, pid = int(parts[1], 16), int(parts[2], 16)
            serial = str(hid.properties.get("HID_UNIQ", ""))
            product = str(hid.properties.get("HID_NAME", ""))
        return DeviceInfo(path, vid, pid, serial, product, _usb_port(dev))

    def watch(self, callback: HotplugCallback) -> Callable[[], None]:
        monitor = self._pyudev.Monitor.from_netlink(self._context)
        monitor.filter_by("hidraw")

        def on_event(dev: Any) -> None:
            action = dev.action
            if action not in ("add", "remove") or not dev.device_node:
                return
            try:
                info = self._info_from_udev(dev)
            except (OSError, ValueError) as exc:
                log.warning("hot-plug: cannot describe %s: %s", dev.device_node, exc)
                info = DeviceInfo(str(dev.device_node), 0, 0)
            callback(action, info)

        observer = self._pyudev.MonitorObserver(monitor, callback=on_event, name="hid-hotplug")
        observer.start()
        return observer.stop  # type: ignore[no-any-return]
