"""The gadget headset through our real HID backend (hidapi `hidraw` + pyudev), on the guest's
kernel: enumeration with the telephony usage page, the descriptor as the kernel read it,
reports both ways, the handshake's idle state, and hot-plug on unbind/bind of the UDC."""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from firmware.hid.backend import DeviceInfo
from firmware.hid.hidraw_backend import HidrawBackend
from firmware.hid.session import HeadsetSession
from tests.vbench.guest.devices import hidraw_of, vgadget, wait_until

IDLE = bytes.fromhex("020000")  # report 2: Off-Hook, Mute, Ring, Ringer all off
OFF_HOOK_LED = bytes.fromhex("020100")
HOOK_UP = bytes.fromhex("020100")  # input report 2, Hook Switch (bit 0) set
HOOK_DOWN = bytes.fromhex("020000")


def _ours(backend: HidrawBackend, spec: vgadget.GadgetSpec) -> DeviceInfo:
    found = [i for i in backend.enumerate() if i.serial == spec.serial]
    assert len(found) == 1, f"expected the gadget headset once, got {backend.enumerate()}"
    return found[0]


def test_backend_lists_the_gadget_headset(gadget_spec: vgadget.GadgetSpec) -> None:
    info = _ours(HidrawBackend(), gadget_spec)
    assert (info.vendor_id, info.product_id) == (0x0B0E, 0x24C9)
    assert info.path == str(hidraw_of(gadget_spec.serial))
    assert info.product == gadget_spec.product
    assert info.port, "the USB port path comes from udev"


def test_kernel_hands_back_the_gadget_descriptor(plugged: Any, gadget_spec: Any) -> None:
    backend = HidrawBackend()
    device = backend.open(_ours(backend, gadget_spec))
    try:
        assert device.report_descriptor() == gadget_spec.report_descriptor
    finally:
        device.close()


def test_reports_round_trip(
    plugged: vgadget.HeadsetEnd, gadget_spec: Any, measurements: dict[str, Any]
) -> None:
    backend = HidrawBackend()
    device = backend.open(_ours(backend, gadget_spec))
    out_times, in_times = [], []
    try:
        for i in range(20):
            payload = bytes([0x02, i & 0x3F, 0x00])
            t0 = time.perf_counter()
            device.write(payload)
            got = plugged.receive(5.0)
            out_times.append(time.perf_counter() - t0)
            assert got == payload, f"output report {i}: wrote {payload.hex()}, gadget read {got!r}"
            report = bytes([0x02, (i % 2) | 0x08 * (i % 3 == 0), 0x00])
            t0 = time.perf_counter()
            plugged.send(report)
            back = device.read(64, 5000)
            in_times.append(time.perf_counter() - t0)
            assert back == report, f"input report {i}: sent {report.hex()}, backend read {back!r}"
    finally:
        device.close()
    measurements["hid_output_report_ms_p50"] = round(statistics.median(out_times) * 1000, 2)
    measurements["hid_input_report_ms_p50"] = round(statistics.median(in_times) * 1000, 2)


def test_session_writes_the_idle_state_and_decodes_hook(plugged: Any, gadget_spec: Any) -> None:
    backend = HidrawBackend()
    device = backend.open(_ours(backend, gadget_spec))
    try:
        session, _ = HeadsetSession.open(device, echo_window=0.5)
        assert plugged.receive(5.0) == IDLE
        device.read(64, 100)  # nothing pending
        plugged.send(HOOK_DOWN)  # baseline
        assert session.feed(device.read(64, 5000), 1.0) == []
        plugged.send(HOOK_UP)
        effects = session.feed(device.read(64, 5000), 2.0)
        assert [type(e).__name__ for e in effects] == ["HookRequest"]
        assert effects[0].off_hook is True  # type: ignore[attr-defined]
        session.command("answer", 2.0)
        assert plugged.receive(5.0) == OFF_HOOK_LED
    finally:
        device.close()


def test_hotplug_on_unbind_and_bind(plugged: Any, gadget_spec: vgadget.GadgetSpec) -> None:
    backend = HidrawBackend()
    path = _ours(backend, gadget_spec).path
    events: list[tuple[str, DeviceInfo]] = []
    seen = threading.Condition()

    def on_event(action: str, info: DeviceInfo) -> None:
        with seen:
            events.append((action, info))
            seen.notify_all()

    stop = backend.watch(on_event)
    try:
        vgadget.unbind(gadget_spec)
        with seen:
            assert seen.wait_for(lambda: any(a == "remove" for a, _ in events), 30)
        assert [i.path for a, i in events if a == "remove"] == [path]
        assert all(i.serial != gadget_spec.serial for i in backend.enumerate())
        vgadget.bind(gadget_spec)
        with seen:
            assert seen.wait_for(lambda: any(a == "add" for a, _ in events), 60)
        added = [i for a, i in events if a == "add"]
        assert added[0].serial == gadget_spec.serial
        assert (added[0].vendor_id, added[0].product_id) == (0x0B0E, 0x24C9)
    finally:
        stop()
    assert wait_until(lambda: hidraw_of(gadget_spec.serial), 30)
