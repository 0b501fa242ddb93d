"""State change → LED write latency of the indicator driver (not a test; prints numbers).

    python -m tests.bench.bench_indicators [--n 2000]

Indicators: a LED class LED in a temporary sysfs-like tree (real open/write/close per file),
a GPIO LED on a fake line, and a Kuando busylight found through a temporary hidraw tree
(a real write() of the 65-byte report to a file). Two measurements:
- `apply`: from the moment the new agent state is known to the last indicator write
  returning (the driver writes inside `apply`);
- `loop`: the state change is put on an asyncio queue by a timer callback and the service-
  style consumer task applies it — one loop iteration, scheduling included.
The trees are put on tmpfs (/dev/shm) when there is one, as sysfs is in memory.
Goal (issue 5): p99 <= 5 ms on the development machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from firmware.indicators.busylight.hidraw import HidrawFinder
from firmware.indicators.busylight.light import BusylightIndicator
from firmware.indicators.busylight.models import MODELS
from firmware.indicators.driver import IndicatorDriver
from firmware.indicators.fake import FakeLines
from firmware.indicators.gpio import GpioIndicator
from firmware.indicators.indicator import Indicator
from firmware.indicators.ledclass import LedClassIndicator
from firmware.indicators.patterns import AgentView, Color

VIEWS = (
    AgentView("ready"),
    AgentView("ready", ringing=True),
    AgentView("ready", in_call=True),
    AgentView("ready", in_call=True, muted=True),
    AgentView("withdrawn", "post_call"),
    AgentView("withdrawn", "no_answer"),
    AgentView("withdrawn", "break"),
)


def build(root: Path) -> list[Indicator]:
    led = root / "leds" / "deskgate:green:ready"
    led.mkdir(parents=True)
    for name, value in (
        ("brightness", "0"),
        ("max_brightness", "1"),
        ("trigger", "none"),
        ("delay_on", "500"),
        ("delay_off", "500"),
    ):
        (led / name).write_text(value)
    uevent = root / "sys" / "hidraw0" / "device"
    uevent.mkdir(parents=True)
    (uevent / "uevent").write_text("HID_ID=0003:000027BB:00003BCD\n")
    (root / "dev").mkdir()
    (root / "dev" / "hidraw0").write_bytes(b"")
    return [
        LedClassIndicator("ready", "deskgate:green:ready", frozenset({Color.GREEN}), root / "leds"),
        GpioIndicator(
            "withdrawn", frozenset({Color.RED, Color.AMBER}), True, FakeLines(time.monotonic)
        ),
        BusylightIndicator("busylight", MODELS, HidrawFinder(root / "sys", root / "dev")),
    ]


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {ms[-1]:.3f} ms  (n={len(ms)})"


def bench_apply(driver: IndicatorDriver, n: int) -> list[float]:
    samples = []
    for i in range(n):
        view = VIEWS[i % len(VIEWS)]
        t0 = time.perf_counter()
        driver.apply(view, time.monotonic())
        samples.append(time.perf_counter() - t0)
    return samples


def _stamp_and_put(queue: asyncio.Queue[tuple[float, AgentView]], view: AgentView) -> None:
    queue.put_nowait((time.perf_counter(), view))


async def bench_loop(driver: IndicatorDriver, n: int) -> list[float]:
    queue: asyncio.Queue[tuple[float, AgentView]] = asyncio.Queue()
    samples: list[float] = []
    loop = asyncio.get_running_loop()

    async def consumer() -> None:
        for _ in range(n):
            t0, view = await queue.get()
            driver.apply(view, time.monotonic())
            driver.tick(time.monotonic())
            samples.append(time.perf_counter() - t0)

    task = asyncio.create_task(consumer())
    for i in range(n):
        view = VIEWS[i % len(VIEWS)]
        loop.call_soon(_stamp_and_put, queue, view)
        await asyncio.sleep(0.0005)
    await task
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_indicators")
    parser.add_argument("--n", type=int, default=2000, help="state changes per measurement")
    args = parser.parse_args(argv)
    # sysfs and the hidraw node live in memory; a disk-backed /tmp adds journal stalls of
    # several ms to O_TRUNC writes that the real files never see, so use tmpfs when present.
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        print(f"trees under {tmp}")
        driver = IndicatorDriver(build(Path(tmp)), report=print)
        bench_apply(driver, 200)  # warm-up
        print("state change → last indicator write (3 indicators):")
        print(f"  apply: {percentiles(bench_apply(driver, args.n))}")
        print(f"  loop:  {percentiles(asyncio.run(bench_loop(driver, args.n)))}")
        driver.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
