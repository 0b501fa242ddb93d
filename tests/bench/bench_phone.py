"""Phone-side benchmarks (printed, never asserted): `python -m tests.bench.bench_phone`.

Real calls from sipp through baresip, the journaled ACD and fake headsets, in a private
network namespace (tests/phone/netns_calls.py; needs root, baresip-core, sip-tester):

1. INVITE → headset ring: sipp sends the INVITE … the chosen agent's fake Jabra gets the
   Ring/Ringer output report (baresip, ctrl_tcp, adapter, ACD step, headset handshake).
2. answer → 200 OK: the fake headset's off-hook report … sipp receives the 200 OK (HID
   reader thread, ACD step, `uafind`/`callfind`/`accept` round trips, baresip's SDP answer).
   All agents of a run answer at the same instant, so the later ones wait for the earlier
   answers: baresip handles one command at a time.
3. CPU (share of one core) and RSS of baresip and of the Python side, idle and with every
   call connected (G.722 both ways at 16 kHz; sipp sends no RTP), per concurrent call.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from tests.phone.netns import run_calls, unavailable


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latencies(result: dict[str, Any]) -> tuple[list[float], list[float]]:
    times, rings, presses = result["sipp_times"], result["rings"], result["presses"]
    offered = {r["call"]: r["agent"] for r in result["journal"] if r["type"] == "OFFER_STARTED"}
    ring_ms, ok_ms = [], []
    for call, agent in offered.items():
        sent = times.get(call, {})
        if "invite" in sent and rings.get(agent):
            ring_ms.append((rings[agent][0] - sent["invite"]) * 1000)
        offs = [t for t, what in presses.get(agent, []) if what == "off"]
        if "ok200" in sent and offs:
            ok_ms.append((sent["ok200"] - offs[0]) * 1000)
    return ring_ms, ok_ms


def main() -> None:
    why = unavailable()
    if why is not None:
        print(f"bench_phone: skipped: {why}")
        return
    print("sipp's clock: its own timestamps are cached per event-loop pass (±1 ms)")
    print("calls  INVITE→ring ms (p50/max)  answer→200 OK ms (p50/max)  ", end="")
    print("our side: CALL_INCOMING→offer, CALL_CONNECTED→accept replied (p50/max)")
    for calls in (1, 4, 16):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_calls(Path(tmp), calls)
        ring, ok = latencies(result)
        marks = result["marks"]
        offer = [(m["offered"] - m["incoming"]) * 1000 for m in marks if "offered" in m]
        accept = [(m["accepted"] - m["connected"]) * 1000 for m in marks if "accepted" in m]
        print(
            f"{calls:5d}  {statistics.median(ring):8.1f} / {max(ring):6.1f}"
            f"           {statistics.median(ok):8.1f} / {max(ok):6.1f}"
            f"        {statistics.median(offer):6.2f} / {max(offer):6.2f} ms"
            f"   {statistics.median(accept):6.1f} / {max(accept):6.1f} ms"
        )
    print("\ncalls  baresip CPU %  RSS MB   python CPU %  RSS MB   per call: CPU %  RSS kB")
    for calls in (1, 4, 16):
        with tempfile.TemporaryDirectory() as tmp:
            result = run_calls(Path(tmp), calls, "measure")
        idle, busy = result["idle"], result["loaded"]
        cpu = busy["baresip_cpu"] + busy["python_cpu"] - idle["baresip_cpu"] - idle["python_cpu"]
        rss = (
            busy["baresip_rss_kb"]
            + busy["python_rss_kb"]
            - idle["baresip_rss_kb"]
            - idle["python_rss_kb"]
        )
        print(
            f"{calls:5d}  {busy['baresip_cpu'] * 100:12.1f}  {busy['baresip_rss_kb'] / 1024:6.1f}"
            f"   {busy['python_cpu'] * 100:12.1f}  {busy['python_rss_kb'] / 1024:6.1f}"
            f"   {cpu * 100 / calls:15.2f}  {rss / calls:6.0f}"
        )


if __name__ == "__main__":
    main()
