"""Headsets through the asyncio bridge into the real ACD core, on the fake backend: answer by
hook, hot-plug mid-offer and mid-call, read errors, unusable headsets, several seats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.acd.params import AcdParams, AgentParams, QueueParams
from firmware.hid.backend import DeviceInfo
from firmware.hid.bridge import CoreAcd, HeadsetBridge
from firmware.hid.fake import FakeBackend, FakeHeadset
from firmware.hid.seats import SeatMap
from tests.hid.fixtures import JABRA_380C, POLY_C5220, descriptor_bytes

PARAMS = AcdParams(
    queues=(QueueParams("Q"),),
    agents=(AgentParams("A", queues=("Q",)), AgentParams("B", queues=("Q",))),
)


class RecordingAcd(CoreAcd):
    def __init__(self) -> None:
        super().__init__(PARAMS)
        self.records: list[Any] = []

    def submit(self, event: dict[str, Any], now: float) -> list[Any]:
        records = super().submit(event, now)
        self.records.extend(records)
        return records

    def types(self, agent: str) -> list[str]:
        return [r.type for r in self.records if r.get("agent") == agent]


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def until(cond: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if cond():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def headset(path: str, name: str, serial: str = "", port: str = "") -> FakeHeadset:
    return FakeHeadset(
        DeviceInfo(path, 0x0B0E, 0x24C9, serial, "test", port), descriptor_bytes(name)
    )


def make(
    *headsets: FakeHeadset, seats: dict[str, str] | None = None
) -> tuple[FakeBackend, RecordingAcd, HeadsetBridge, Clock]:
    backend = FakeBackend()
    for h in headsets:
        backend.add(h)
    acd, clock = RecordingAcd(), Clock()
    seats = seats or {"SN-A": "A", "SN-B": "B"}  # B has no headset plugged in
    bridge = HeadsetBridge(backend, SeatMap(seats), acd, clock=clock)
    return backend, acd, bridge, clock


def test_hook_press_answers_the_offer_and_lights_off_hook() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        _, acd, bridge, clock = make(jabra)
        bridge.start()
        assert jabra.writes == [bytes.fromhex("020000")]  # idle at open
        jabra.press(bytes.fromhex("020000"))  # baseline
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        assert jabra.writes[-1] == bytes.fromhex("028800")  # ringing
        clock.t = 2
        jabra.press(bytes.fromhex("020100"))  # the agent presses answer
        await until(lambda: "CALL_CONNECTED" in acd.types("A"), "the call to connect")
        assert jabra.writes[-1] == bytes.fromhex("020100")
        bridge.stop()

    asyncio.run(scenario())


def test_unplug_mid_offer_is_unreachable_and_replug_restores_leds() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        backend, acd, bridge, clock = make(jabra)
        bridge.start()
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        assert jabra.writes[-1] == bytes.fromhex("028800")
        clock.t = 3
        backend.unplug("/dev/hidraw1")
        await until(lambda: "OFFER_ENDED" in acd.types("A"), "the offer to end")
        ended = [r for r in acd.records if r.type == "OFFER_ENDED"]
        assert [r.get("outcome") for r in ended] == ["UNREACHABLE"]
        assert "COUNTER_CHANGED" not in acd.types("A")  # no failure counted
        assert acd.records[-2].type == "DEVICE_CHANGED"
        writes_while_gone = len(jabra.writes)
        clock.t = 5
        jabra.writes.clear()
        backend.plug(jabra)
        await until(lambda: len(jabra.writes) >= 2, "LED replay and the new offer")
        # LEDs replayed (idle after the offer ended), then the ACD offers C1 again: ring.
        assert jabra.writes == [bytes.fromhex("020000"), bytes.fromhex("028800")]
        assert writes_while_gone > 0
        assert acd.types("A")[-2:] == ["DEVICE_CHANGED", "OFFER_STARTED"]
        bridge.stop()

    asyncio.run(scenario())


def test_unplug_mid_call_keeps_the_call_and_replug_restores_off_hook_and_mute() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        backend, acd, bridge, clock = make(jabra)
        bridge.start()
        jabra.press(bytes.fromhex("020000"))
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        clock.t = 2
        jabra.press(bytes.fromhex("020100"))
        await until(lambda: "CALL_CONNECTED" in acd.types("A"), "the call")
        clock.t = 4
        jabra.press(bytes.fromhex("020900"))  # mute
        await until(lambda: jabra.writes[-1] == bytes.fromhex("020500"), "mute LED")
        backend.unplug("/dev/hidraw1")
        await until(lambda: acd.types("A")[-1] == "DEVICE_CHANGED", "unplug")
        assert "CALL_ENDED" not in acd.types("A")
        jabra.writes.clear()
        clock.t = 10
        backend.plug(jabra)
        await until(lambda: jabra.writes != [], "LED replay")
        assert jabra.writes == [bytes.fromhex("020500")]  # Off-Hook + Mute, as before
        # the first report after re-plug is a baseline, then the hang-up is seen
        jabra.press(bytes.fromhex("020100"))
        clock.t = 12
        jabra.press(bytes.fromhex("020000"))
        await until(lambda: "CALL_ENDED" in acd.types("A"), "hang-up")
        assert jabra.writes[-1] == bytes.fromhex("020000")
        bridge.stop()

    asyncio.run(scenario())


def test_read_error_is_taken_as_unplug() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        _, acd, bridge, clock = make(jabra)
        bridge.start()
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        jabra.break_link()  # EIO before udev says anything
        await until(lambda: "OFFER_ENDED" in acd.types("A"), "the offer to end")
        assert acd.records[-1].get("outcome") == "UNREACHABLE"
        bridge.stop()

    asyncio.run(scenario())


def test_unusable_headset_is_logged_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        broken = FakeHeadset(DeviceInfo("/dev/hidraw0", 1, 2, "SN-B"), bytes([0x05, 0x0B, 0x85]))
        gaming = FakeHeadset(
            DeviceInfo("/dev/hidraw2", 0x046D, 0x0AC4, "SN-G"),
            descriptor_bytes("logitech_g535_046d-0ac4.txt"),
        )
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        _, acd, bridge, clock = make(
            broken, jabra, gaming, seats={"SN-A": "A", "SN-B": "B", "SN-G": "B"}
        )
        with caplog.at_level(logging.WARNING):
            bridge.start()
        assert set(bridge.seats) == {"A"}
        assert "offset 2" in bridge.skipped["/dev/hidraw0"]
        assert "no telephony call controls" in bridge.skipped["/dev/hidraw2"]
        assert "cannot use this headset" in caplog.text
        assert broken.writes == [] and gaming.writes == []
        # B has no usable headset: unreachable, so the call goes to A
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        assert [r.get("agent") for r in acd.records if r.type == "OFFER_STARTED"] == ["A"]
        bridge.stop()

    asyncio.run(scenario())


def test_two_headsets_seated_by_serial_and_by_port() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A", port="1-1.1")
        poly = FakeHeadset(
            DeviceInfo("/dev/hidraw5", 0x047F, 0xC053, "", "", "1-1.3"),
            descriptor_bytes(POLY_C5220),
        )
        _, acd, bridge, clock = make(jabra, poly, seats={"SN-A": "A", "1-1.3": "B"})
        bridge.start()
        assert {s: bridge.seats[s].info.path for s in bridge.seats} == {
            "A": "/dev/hidraw1",
            "B": "/dev/hidraw5",
        }
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        bridge.submit({"event": "call_arrived", "call": "C2", "queue": "Q"})
        assert jabra.writes[-1] == bytes.fromhex("028800")
        assert poly.writes[-1] == bytes.fromhex("1801")  # Poly rings on its Ring LED report
        offers = {r.get("call"): r.get("agent") for r in acd.records if r.type == "OFFER_STARTED"}
        assert offers == {"C1": "A", "C2": "B"}
        bridge.stop()

    asyncio.run(scenario())


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(1, 400),
)
def test_service_skips_any_headset_it_cannot_parse_and_keeps_running(
    flips: list[tuple[int, int]], cut: int
) -> None:
    async def scenario() -> None:
        data = bytearray(descriptor_bytes(JABRA_380C))
        for pos, value in flips:
            data[pos % len(data)] = value
        mutated = FakeHeadset(DeviceInfo("/dev/hidraw9", 1, 2, "SN-B"), bytes(data[:cut]))
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        _, acd, bridge, clock = make(mutated, jabra)
        bridge.start()  # never raises: B is either seated or skipped with a reason
        assert ("B" in bridge.seats) != ("/dev/hidraw9" in bridge.skipped)
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        assert "OFFER_STARTED" in acd.types("A") + acd.types("B")
        bridge.stop()

    asyncio.run(scenario())


def test_transfers_hang_up_the_transferring_agents_headset() -> None:
    from firmware.acd.records import make
    from firmware.hid.bridge import call_command_for

    blind = make(1, 0, "TRANSFER_STARTED", agent="A", call="C", to="agent", target="B")
    consult = make(2, 0, "TRANSFER_COMPLETED", call="C", **{"from": "A", "to": "B"})
    assert call_command_for(blind) == ("A", "hangup")
    assert call_command_for(consult) == ("A", "hangup")


def test_the_flash_button_holds_and_resumes_the_call() -> None:
    async def scenario() -> None:
        jabra = headset("/dev/hidraw1", JABRA_380C, serial="SN-A")
        _, acd, bridge, clock = make(jabra)
        bridge.start()
        jabra.press(bytes.fromhex("020000"))  # baseline
        clock.t = 1
        bridge.submit({"event": "call_arrived", "call": "C1", "queue": "Q"})
        clock.t = 2
        jabra.press(bytes.fromhex("020100"))  # answer
        await until(lambda: "CALL_CONNECTED" in acd.types("A"), "the call to connect")
        for t, held in ((3, True), (4, False)):
            clock.t = t
            jabra.press(bytes.fromhex("021100"))  # Flash (bit 4) pressed, still off-hook
            jabra.press(bytes.fromhex("020100"))  # and released
            await until(
                lambda held=held: any(
                    r.type == "HOLD_CHANGED" and r.get("held") is held for r in acd.records
                ),
                f"hold {held}",
            )
        bridge.stop()

    asyncio.run(scenario())
