"""The hidapi/pyudev backend against stand-ins for the two libraries (no hardware here): what it
lists, how it opens, and that I/O errors become `DeviceGone` (an unplug)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from firmware.hid.backend import DeviceGone, DeviceInfo


class FakeHandle:
    def __init__(self, fail: str = "") -> None:
        self.fail = fail
        self.opened: bytes | None = None
        self.written: list[bytes] = []

    def open_path(self, path: bytes) -> None:
        if self.fail == "open":
            raise OSError("open failed")
        self.opened = path

    def read(self, size: int, timeout_ms: int) -> list[int]:
        if self.fail == "read":
            raise OSError("read error")  # what hidapi raises after EIO / ENODEV
        return [2, 1, 0][:size]

    def write(self, data: bytes) -> int:
        if self.fail == "write":
            return -1
        self.written.append(data)
        return len(data)

    def get_report_descriptor(self) -> list[int]:
        return [0x05, 0x0B]

    def close(self) -> None:
        pass


class FakeUdevDevice:
    def __init__(self, node: str, action: str = "add", port: str = "1-1.2") -> None:
        self.device_node, self.action, self.port = node, action, port
        self.properties = {
            "HID_ID": "0003:00000B0E:000024C9",
            "HID_UNIQ": "SN1",
            "HID_NAME": "Jabra",
        }

    def find_parent(self, subsystem: str, devtype: str | None = None) -> Any:
        if subsystem == "usb":
            return types.SimpleNamespace(sys_name=self.port)
        return self


@pytest.fixture
def libs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    handles: list[FakeHandle] = []
    state: dict[str, Any] = {"fail": "", "handles": handles, "observers": []}

    def device() -> FakeHandle:
        handles.append(FakeHandle(state["fail"]))
        return handles[-1]

    entries = [
        # one hidapi entry per top-level collection: the same node appears several times
        {"path": b"/dev/hidraw3", "vendor_id": 0x0B0E, "product_id": 0x24C9,
         "serial_number": "SN1", "product_string": "Jabra Link 380", "usage_page": 0x0B},
        {"path": b"/dev/hidraw3", "vendor_id": 0x0B0E, "product_id": 0x24C9,
         "serial_number": "SN1", "product_string": "Jabra Link 380", "usage_page": 0x0C},
        {"path": b"/dev/hidraw7", "vendor_id": 0x046D, "product_id": 0xC52B,
         "serial_number": "", "product_string": "Keyboard", "usage_page": 0x01},
    ]  # fmt: skip
    hidraw = types.ModuleType("hidraw")
    hidraw.device = device  # type: ignore[attr-defined]
    hidraw.enumerate = lambda vid=0, pid=0: entries  # type: ignore[attr-defined]

    class Observer:
        def __init__(self, monitor: Any, callback: Any = None, name: str = "") -> None:
            self.callback, self.stopped = callback, False
            state["observers"].append(self)

        def start(self) -> None:
            pass

        def stop(self) -> None:
            self.stopped = True

    pyudev = types.ModuleType("pyudev")
    pyudev.Context = lambda: object()  # type: ignore[attr-defined]
    pyudev.DeviceNotFoundError = LookupError  # type: ignore[attr-defined]
    pyudev.Devices = types.SimpleNamespace(  # type: ignore[attr-defined]
        from_device_file=lambda ctx, path: FakeUdevDevice(path)
    )
    monitor = types.SimpleNamespace(filter_by=lambda subsystem: None)
    pyudev.Monitor = types.SimpleNamespace(from_netlink=lambda ctx: monitor)  # type: ignore[attr-defined]
    pyudev.MonitorObserver = Observer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hidraw", hidraw)
    monkeypatch.setitem(sys.modules, "pyudev", pyudev)
    return state


def test_enumerate_lists_each_telephony_node_once_with_its_port(libs: dict[str, Any]) -> None:
    from firmware.hid.hidraw_backend import HidrawBackend

    assert HidrawBackend().enumerate() == [
        DeviceInfo("/dev/hidraw3", 0x0B0E, 0x24C9, "SN1", "Jabra Link 380", "1-1.2")
    ]


def test_open_reads_and_writes_through_the_hidraw_module(libs: dict[str, Any]) -> None:
    from firmware.hid.hidraw_backend import HidrawBackend

    backend = HidrawBackend()
    dev = backend.open(backend.enumerate()[0])
    assert libs["handles"][0].opened == b"/dev/hidraw3"
    assert dev.read(3, 100) == bytes([2, 1, 0])
    assert dev.report_descriptor() == bytes([0x05, 0x0B])
    dev.write(bytes([2, 1, 0]))
    assert libs["handles"][0].written == [bytes([2, 1, 0])]


@pytest.mark.parametrize("fail", ["open", "read", "write"])
def test_io_errors_are_unplugs(libs: dict[str, Any], fail: str) -> None:
    from firmware.hid.hidraw_backend import HidrawBackend

    backend = HidrawBackend()
    info = backend.enumerate()[0]
    libs["fail"] = fail
    with pytest.raises(DeviceGone, match="/dev/hidraw3"):
        dev = backend.open(info)
        dev.read(3, 100)
        dev.write(b"\x02\x00\x00")


def test_hotplug_events_come_from_udev(libs: dict[str, Any]) -> None:
    from firmware.hid.hidraw_backend import HidrawBackend

    seen: list[tuple[str, DeviceInfo]] = []
    stop = HidrawBackend().watch(lambda action, info: seen.append((action, info)))
    observer = libs["observers"][0]
    observer.callback(FakeUdevDevice("/dev/hidraw4", "add", "1-1.4"))
    observer.callback(FakeUdevDevice("/dev/hidraw4", "change"))  # ignored
    observer.callback(FakeUdevDevice("/dev/hidraw4", "remove", "1-1.4"))
    info = DeviceInfo("/dev/hidraw4", 0x0B0E, 0x24C9, "SN1", "Jabra", "1-1.4")
    assert seen == [("add", info), ("remove", info)]
    stop()
    assert observer.stopped
