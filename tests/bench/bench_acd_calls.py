"""ACD benchmark with in-call state and callbacks in play (issue 9): the same two decisions as
`bench_acd` (an arrival picking among eligible agents, a release picking the head of the
queue) at 1,000 agents, while 300 agents hold customers in consults with other agents and 500
callbacks wait among 500 inbound calls.

Run: `python -m tests.bench.bench_acd_calls`. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import time

from firmware.acd import events as ev
from firmware.acd.core import initial_state, step
from firmware.acd.params import AcdParams, AgentParams, CampaignParams, ContactRule, QueueParams
from firmware.acd.state import AcdState

N = 1_000
BUSY = 300  # agents on a customer call, each consulting another agent: 600 agents in calls
SAMPLES = 2_000
CLOCK = time.thread_time


def _params() -> AcdParams:
    return AcdParams(
        ring_timeout=1e9,  # nothing times out during the run
        queues=(QueueParams("Q"), QueueParams("X")),
        agents=tuple(
            AgentParams(f"a{i:05}", ("Q",) if i >= 2 * BUSY else ("X",), hook_device=False)
            for i in range(N)
        ),
        campaigns=(CampaignParams("CB", rule=ContactRule(customer_ring_timeout=1e9)),),
    )


def _pct(samples: list[float], p: float) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * p))] * 1e6


def _busy_site() -> tuple[AcdState, float]:
    """300 agents of queue X in a consult with 300 others (customer held), then the queue Q
    agents all unavailable while 500 callbacks and 500 inbound calls wait in Q."""
    state, t = initial_state(_params()), 0.0
    for i in range(BUSY):
        a, b = f"a{2 * i:05}", f"a{2 * i + 1:05}"
        state, _ = step(state, ev.SetStatus(b, "unavailable", "manual"), t)
        state, _ = step(state, ev.CallArrived(f"x{i}", "X"), t)
        state, _ = step(state, ev.Answer(a), t)
        state, _ = step(state, ev.SetStatus(b, "ready", "manual"), t)
        state, _ = step(state, ev.Consult(a, "agent", b), t)
        state, _ = step(state, ev.Answer(b), t)
        state, _ = step(state, ev.Flash(a), t)
    for i in range(2 * BUSY, N):
        state, _ = step(state, ev.SetStatus(f"a{i:05}", "unavailable", "manual"), t)
    for i in range(500):
        t += 1
        state, _ = step(state, ev.CallbackRequest(f"k{i}", "CB", "Q", "0123456789", i % 4), t)
        state, _ = step(state, ev.CallArrived(f"w{i}", "Q", priority=i % 4), t)
    return state, t


def bench_release() -> list[float]:
    """An agent of Q goes ready: the head of 1,000 waiting calls and callbacks is served."""
    state, t = _busy_site()
    samples, kinds = [], {"OFFER_STARTED": 0, "CALLBACK_DIALING": 0}
    for i in range(SAMPLES):
        t += 1
        agent = f"a{2 * BUSY + i % (N - 2 * BUSY):05}"
        t0 = CLOCK()
        state, records = step(state, ev.SetStatus(agent, "ready", "manual"), t)
        samples.append(CLOCK() - t0)
        served = records[-1]["call"]
        kinds[records[-1].type] += 1
        if records[-1].type == "CALLBACK_DIALING":
            state, _ = step(state, ev.SetStatus(agent, "unavailable", "manual"), t)
            state, _ = step(state, ev.CallbackCancel(served), t)
            state, _ = step(state, ev.CallbackRequest(served, "CB", "Q", "0123456789"), t)
        else:
            state, _ = step(state, ev.SetStatus(agent, "unavailable", "manual"), t)
            state, _ = step(state, ev.CallerHangup(served), t)
            state, _ = step(state, ev.CallArrived(served, "Q"), t)
    print(
        f"release served {kinds['OFFER_STARTED']} calls and {kinds['CALLBACK_DIALING']} callbacks"
    )
    return samples


def bench_arrival() -> list[float]:
    """400 agents of Q ready and idle, 600 in consults: a call arrives and picks one."""
    state, t = _busy_site()
    for i in range(500):
        state, _ = step(state, ev.CallbackCancel(f"k{i}"), t)
        state, _ = step(state, ev.CallerHangup(f"w{i}"), t)
    for i in range(2 * BUSY, N):
        state, _ = step(state, ev.SetStatus(f"a{i:05}", "ready", "manual"), t)
    samples = []
    for i in range(SAMPLES):
        t += 1
        t0 = CLOCK()
        state, _ = step(state, ev.CallArrived(f"c{i}", "Q"), t)
        samples.append(CLOCK() - t0)
        state, _ = step(state, ev.CallerHangup(f"c{i}"), t)
    return samples


def main() -> None:
    print(f"ACD decision with in-call state and callbacks, {N} agents, microseconds of CPU")
    for name, samples in (("arrival", bench_arrival()), ("release", bench_release())):
        print(f"{name:>8}: p50 {_pct(samples, 0.5):8.1f}  p99 {_pct(samples, 0.99):8.1f}")


if __name__ == "__main__":
    main()
