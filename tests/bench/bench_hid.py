"""HID benchmarks (printed, never asserted): run ``python -m tests.bench.bench_hid``.

1. Decode cost per input report: `ReportCodec.decode` alone, and a whole handshake step.
2. Hook-event-to-ACD-action latency through the asyncio bridge: a fake Jabra Link 380c on the
   fake backend (a reader thread, as with hidapi), the real ACD core. Measured from handing the
   off-hook report to the device until the Off-Hook LED report is written back — everything but
   USB. Goal: p99 ≤ 1 ms. Also printed: the part spent on the event loop (decode, handshake,
   ACD step, write), i.e. without the two thread wake-ups (reader thread, loop thread) that
   dominate when other processes keep the cores busy.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from firmware.acd.params import AcdParams, AgentParams, QueueParams
from firmware.hid.backend import DeviceInfo
from firmware.hid.bridge import CoreAcd, HeadsetBridge
from firmware.hid.controls import find_telephony
from firmware.hid.descriptor import parse_descriptor
from firmware.hid.fake import FakeBackend, FakeHeadset
from firmware.hid.handshake import Handshake, InputReport
from firmware.hid.report import ReportCodec
from firmware.hid.seats import SeatMap
from tests.hid.fixtures import JABRA_380C, descriptor_bytes

OFF_HOOK_IN, ON_HOOK_IN = bytes.fromhex("020100"), bytes.fromhex("020000")
OFF_HOOK_LED = bytes.fromhex("020100")


def bench_decode(n: int) -> None:
    telephony = find_telephony(parse_descriptor(descriptor_bytes(JABRA_380C)))
    assert telephony is not None
    codec = ReportCodec(telephony)
    reports = [bytes([2, i & 0xFF, 0]) for i in range(256)]
    start = time.perf_counter()
    for i in range(n):
        codec.decode(reports[i & 0xFF])
    decode_us = (time.perf_counter() - start) / n * 1e6

    handshake = Handshake(telephony)
    state, _ = handshake.open()
    events = [InputReport(r) for r in reports]
    start = time.perf_counter()
    for i in range(n):
        state, _ = handshake.step(state, events[i & 0xFF], i * 0.001)
    step_us = (time.perf_counter() - start) / n * 1e6
    print(f"decode: {decode_us:.2f} us/report (ReportCodec.decode, {n} reports)")
    print(f"decode+handshake step: {step_us:.2f} us/report")


class TimedHeadset(FakeHeadset):
    """Records when each report is written and wakes the benchmark."""

    def __init__(self, info: DeviceInfo, descriptor: bytes) -> None:
        super().__init__(info, descriptor)
        self.last_write = 0.0
        self.written: asyncio.Event | None = None

    def write(self, data: bytes) -> None:
        super().write(data)
        self.last_write = time.perf_counter()
        if self.written is not None:
            self.written.set()


class TimedBridge(HeadsetBridge):
    """Notes when each report reaches the event loop (after the reader thread's hand-over)."""

    arrived = 0.0

    def _input(self, seat: Any, device: Any, data: bytes) -> None:
        self.arrived = time.perf_counter()
        super()._input(seat, device, data)


async def bench_latency(cycles: int) -> tuple[list[float], list[float]]:
    """(end-to-end latencies, in-loop latencies) in seconds."""
    params = AcdParams(queues=(QueueParams("Q"),), agents=(AgentParams("A", queues=("Q",)),))
    backend = FakeBackend()
    jabra = TimedHeadset(
        DeviceInfo("/dev/hidraw1", 0x0B0E, 0x24C9, "SN-A"), descriptor_bytes(JABRA_380C)
    )
    backend.add(jabra)
    bridge = TimedBridge(backend, SeatMap({"SN-A": "A"}), CoreAcd(params), echo_window=0)
    bridge.start()
    jabra.written = asyncio.Event()

    async def written(expected: bytes) -> None:
        while jabra.writes[-1] != expected:
            jabra.written.clear()  # type: ignore[union-attr]
            await asyncio.wait_for(jabra.written.wait(), 2)  # type: ignore[union-attr]

    jabra.press(ON_HOOK_IN)  # baseline
    latencies: list[float] = []
    in_loop: list[float] = []
    for i in range(cycles):
        bridge.submit({"event": "call_arrived", "call": f"C{i}", "queue": "Q"})
        await asyncio.sleep(0)
        start = time.perf_counter()
        jabra.press(OFF_HOOK_IN)
        await written(OFF_HOOK_LED)
        latencies.append(jabra.last_write - start)
        in_loop.append(jabra.last_write - bridge.arrived)
        jabra.press(ON_HOOK_IN)
        await written(ON_HOOK_IN)
    bridge.stop()
    return latencies, in_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=2_000)
    args = parser.parse_args()
    bench_decode(args.reports)
    total, in_loop = asyncio.run(bench_latency(args.cycles))
    for label, values in (
        ("hook report -> ACD -> Off-Hook LED write", total),
        ("  of which on the event loop", in_loop),
    ):
        lat = sorted(values)
        p50, p99 = statistics.median(lat) * 1e3, lat[int(len(lat) * 0.99) - 1] * 1e3
        print(
            f"{label}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {lat[-1] * 1e3:.3f} ms "
            f"over {len(lat)} calls (goal p99 <= 1 ms)"
        )


if __name__ == "__main__":
    main()
