"""The seam between the headset logic and the hardware: what a HID backend must provide.

`HidBackend` lists, opens and watches headsets; `HidDevice` is one open headset. The real
implementation is `firmware.hid.hidraw_backend` (hidapi's ``hidraw`` module + pyudev netlink
events); `firmware.hid.fake` is the in-package fake that records writes and injects reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class DeviceGone(OSError):
    """The headset went away (unplugged; a read or write failed with EIO or ENODEV)."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """How a headset is found and named. `key` is stable across re-plugs of the same headset on
    the same port; seats map `serial` or `port` to an agent."""

    path: str  # e.g. /dev/hidraw3
    vendor_id: int
    product_id: int
    serial: str = ""
    product: str = ""
    port: str = ""  # USB port path, e.g. 1-1.2

    @property
    def vid_pid(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def key(self) -> str:
        return self.serial or self.port or self.path


class HidDevice(Protocol):
    """One open headset. `read` returns b"" when nothing arrived within the timeout."""

    info: DeviceInfo

    def report_descriptor(self) -> bytes: ...

    def read(self, size: int, timeout_ms: int) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


HotplugCallback = Callable[[str, DeviceInfo], None]  # ("add" | "remove", device)


class HidBackend(Protocol):
    """Finds, opens and watches headsets. `watch` calls back from any thread and returns a
    function that stops watching. `open` raises `DeviceGone` when the device is not there."""

    def enumerate(self) -> list[DeviceInfo]: ...

    def open(self, info: DeviceInfo) -> HidDevice: ...

    def watch(self, callback: HotplugCallback) -> Callable[[], None]: ...
