"""A fake HID backend for tests and the simulated board: headsets built from a descriptor.

`FakeHeadset` records every report written to it (`writes`) and lets a test inject input
reports (`press`); `FakeBackend` holds fake headsets and simulates plug and unplug, calling the
hot-plug watchers like pyudev would. Reads after an unplug raise `DeviceGone`, like hidapi's
EIO/ENODEV on a real unplug.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from firmware.hid.backend import DeviceGone, DeviceInfo, HotplugCallback


class FakeHeadset:
    """One fake headset: a descriptor, an input queue and a log of written reports."""

    def __init__(self, info: DeviceInfo, descriptor: bytes) -> None:
        self.info = info
        self.descriptor = descriptor
        self.writes: list[bytes] = []
        self.connected = True
        self.opened = 0
        self._inputs: queue.Queue[bytes | None] = queue.Queue()

    # -- injection (test side) --
    def press(self, data: bytes) -> None:
        """Queue an input report, as if the headset sent it."""
        self._inputs.put(bytes(data))

    def break_link(self) -> None:
        """Make reads and writes fail (EIO) without a udev event, as when a cable is pulled and
        the read fails before udev reports the removal."""
        self.connected = False
        self._inputs.put(None)

    # -- HidDevice --
    def report_descriptor(self) -> bytes:
        if not self.connected:
            raise DeviceGone(f"{self.info.path}: device unplugged")
        return self.descriptor

    def read(self, size: int, timeout_ms: int) -> bytes:
        if not self.connected:
            raise DeviceGone(f"{self.info.path}: device unplugged")
        try:
            data = self._inputs.get(timeout=max(timeout_ms, 0) / 1000)
        except queue.Empty:
            return b""
        if data is None:
            raise DeviceGone(f"{self.info.path}: device unplugged")
        return data[:size]

    def write(self, data: bytes) -> None:
        if not self.connected:
            raise DeviceGone(f"{self.info.path}: device unplugged")
        self.writes.append(bytes(data))

    def close(self) -> None:
        pass


class FakeBackend:
    """A `HidBackend` over fake headsets; `plug`/`unplug` drive hot-plug."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeHeadset] = {}
        self._watchers: list[HotplugCallback] = []
        self._lock = threading.Lock()

    def add(self, headset: FakeHeadset, notify: bool = False) -> FakeHeadset:
        self.devices[headset.info.path] = headset
        headset.connected = True
        if notify:
            self._notify("add", headset.info)
        return headset

    def plug(self, headset: FakeHeadset) -> None:
        """Connect (again) and tell the watchers."""
        headset._inputs = queue.Queue()
        self.add(headset, notify=True)

    def unplug(self, path: str) -> None:
        """Disconnect: pending and future reads fail, watchers hear "remove"."""
        headset = self.devices.pop(path)
        headset.break_link()
        self._notify("remove", headset.info)

    def _notify(self, action: str, info: DeviceInfo) -> None:
        with self._lock:
            watchers = list(self._watchers)
        for cb in watchers:
            cb(action, info)

    # -- HidBackend --
    def enumerate(self) -> list[DeviceInfo]:
        return [h.info for h in self.devices.values()]

    def open(self, info: DeviceInfo) -> FakeHeadset:
        headset = self.devices.get(info.path)
        if headset is None or not headset.connected:
            raise DeviceGone(f"{info.path}: no such device")
        headset.opened += 1
        return headset

    def watch(self, callback: HotplugCallback) -> Callable[[], None]:
        with self._lock:
            self._watchers.append(callback)

        def stop() -> None:
            with self._lock:
                if callback in self._watchers:
                    self._watchers.remove(callback)

        return stop
