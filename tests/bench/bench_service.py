"""Service benchmarks (printed, never asserted): `python -m tests.bench.bench_service`.

1. `gwctl status` round trip over the pty null-modem to a `deskgate run --board sim`
   subprocess: the console request alone (connected link), and the whole `gwctl status`
   command (process start included).
2. Hook event → actions through the whole in-process service: a simulated Jabra Link 380c
   sends its off-hook report; measured until the Off-Hook LED report is written back to the
   headset and until the desk indicator shows the in-call pattern (the journal append, with
   `synchronous=FULL`, is handed to the writer thread, see `service/journal_writer.py`).
   Goal: p99 ≤ 5 ms. Also printed: the part on the event loop alone (without the reader
   thread's wake-up, which dominates the tail when other processes keep the cores busy).
3. Service RSS after an hour-equivalent simulated day (`--speed`, traffic, scripted agents,
   audio bridge running). Goal: ≤ 60 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from firmware.indicators.fake import FakeIndicator
from firmware.service.app import Options, Service
from firmware.service.logs import setup_logging
from firmware.sim.desk import SimDesk
from host_tools.gwctl.link import connect
from tests.service.harness import BIN, RunningGateway

SITE = Path(__file__).resolve().parents[2] / "board" / "sim" / "site.toml"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, ms: list[float]) -> None:
    print(
        f"{name}: n={len(ms)} p50={pct(ms, 0.5):.2f} ms p99={pct(ms, 0.99):.2f} ms "
        f"max={max(ms):.2f} ms mean={statistics.fmean(ms):.2f} ms"
    )


def bench_status(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        gw = RunningGateway(Path(tmp) / "state", "--traffic", "0", "--no-agents")
        try:
            link = connect(gw.port, None, timeout=5)
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                link.call("status")
                times.append((time.perf_counter() - t0) * 1000)
            link.close()
            summary("console status request over the pty", times)
            whole = []
            for _ in range(10):
                t0 = time.perf_counter()
                subprocess.run(
                    [str(BIN / "gwctl"), "--port", gw.port, "status"],
                    capture_output=True,
                    check=True,
                    timeout=30,
                )
                whole.append((time.perf_counter() - t0) * 1000)
            summary("`gwctl status` command (process start included)", whole)
        finally:
            gw.close()


def bench_hook(n: int) -> None:
    setup_logging(quiet=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site.toml"
        text = SITE.read_text().replace("wrapup = 10", "wrapup = 0")
        site.write_text(text.replace("ring_timeout = 15", "ring_timeout = 3600"))
        options = Options(
            board="sim", config=site, state_dir=f"{tmp}/state", audio=False, console=""
        )
        service = Service(options, setup_logging(quiet=True))
        service.setup()
        desk = SimDesk(service)
        headset = desk.hands["alice"].headset
        led = next(i for i in service.gateway.driver.indicators if i.name == "ready")
        assert isinstance(led, FakeIndicator)
        stamps: dict[str, float] = {}
        write = headset.write

        def timed_write(data: bytes) -> None:
            stamps.setdefault("headset", time.perf_counter())
            write(data)

        headset.write = timed_write  # type: ignore[method-assign]
        show = led.show

        def timed_show(pattern: Any, now: float) -> None:
            stamps.setdefault("led", time.perf_counter())
            show(pattern, now)

        led.show = timed_show  # type: ignore[method-assign]
        bridge = service.gateway.bridge
        on_input = bridge._input

        def timed_input(*args: Any) -> None:  # the report reaches the event loop
            stamps.setdefault("loop", time.perf_counter())
            on_input(*args)

        bridge._input = timed_input  # type: ignore[method-assign]
        state = service.acd.state
        to_headset: list[float] = []
        to_led: list[float] = []
        on_loop: list[float] = []

        async def wait(cond: Any) -> None:
            deadline = time.monotonic() + 10
            while not cond():
                if time.monotonic() > deadline:
                    raise TimeoutError("benchmark step stuck")
                await asyncio.sleep(0)

        async def cycles() -> None:
            await wait(lambda: service.stop_event is not None)
            desk.start()
            for _ in range(n):
                call = desk.call("support")
                await wait(lambda c=call: state.agents["alice"].offer == c)
                await asyncio.sleep(0.002)
                stamps.clear()
                t0 = time.perf_counter()
                desk.hook("alice", True)
                await wait(lambda: "headset" in stamps and "led" in stamps)
                to_headset.append((stamps["headset"] - t0) * 1000)
                to_led.append((stamps["led"] - t0) * 1000)
                on_loop.append((stamps["headset"] - stamps["loop"]) * 1000)
                desk.hook("alice", False)
                await wait(lambda: state.agents["alice"].call is None)
                await asyncio.sleep(0.002)
            service.stop()

        asyncio.run(service.run([cycles]))
        summary("hook → Off-Hook LED report on the headset", to_headset)
        summary("hook → desk indicator shows the call", to_led)
        summary("  of which on the event loop (report in → Off-Hook LED out)", on_loop)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench_rss(seconds: float, speed: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        gw = RunningGateway(
            Path(tmp) / "state", "--speed", str(speed), "--traffic", "60", audio=True
        )
        try:
            start = rss_kb(gw.proc.pid)
            time.sleep(seconds)
            end = rss_kb(gw.proc.pid)
            status = gw.status()
        finally:
            gw.close()
        print(
            f"RSS after {seconds * speed / 3600:.1f} simulated hours ({seconds:g} s real, "
            f"audio on, {status['seq']} journal records): {end / 1024:.1f} MB "
            f"(at start {start / 1024:.1f} MB)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="round trips / hook cycles")
    parser.add_argument("--seconds", type=float, default=30.0, help="RSS run, real seconds")
    parser.add_argument("--speed", type=float, default=120.0, help="RSS run, core speed")
    args = parser.parse_args(argv)
    bench_status(args.n)
    bench_hook(args.n)
    bench_rss(args.seconds, args.speed)


if __name__ == "__main__":
    main()
