"""An example agent day: seeded callers and scripted agents driving the real ACD core.

Callers arrive at random (seeded, so every run is the same day); scripted agents answer most
offers after a few rings, miss some, take breaks, work a preview campaign and log out at the
end. Agents react to the core's records, so the day exercises distribution, RONA, wrap-up,
preview/return-home and negotiated logout exactly as the gateway would.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from firmware.acd import events as ev
from firmware.acd.core import initial_state, next_deadline, run_timers, step
from firmware.acd.params import AcdParams, AgentParams, CampaignParams, QueueParams, Strategy
from firmware.acd.records import Record

DAY_START = 8 * 3600  # 08:00, seconds on the core clock
DAY_LENGTH = 4 * 3600  # a morning shift


def day_params() -> AcdParams:
    """Four agents on two queues; Dan forgets to withdraw and gets RONA'd."""
    return AcdParams(
        ring_timeout=15,
        retry_delay=5,
        max_failed_offers=3,
        wrapup=30,
        logout_negotiation=5,
        queues=(
            QueueParams("sales", Strategy.LONGEST_IDLE, wait_time_1=240, wait_time_2=60),
            QueueParams("support", Strategy.LONGEST_IDLE, max_wait=600),
        ),
        agents=(
            AgentParams("alice", ("sales", "support")),
            AgentParams("bob", ("sales",)),
            AgentParams("chloe", ("support",), penalty=1),
            AgentParams("dan", ("sales", "support"), penalty=2),
        ),
        campaigns=(CampaignParams("renewals"),),
    )


@dataclass(frozen=True)
class Happening:
    """One input to the core and the instant it happens."""

    t: float
    event: ev.Event


class AgentDay:
    """Runs the day; iterate to get each step's (event or None for timers, records)."""

    def __init__(self, seed: int = 7) -> None:
        self.params = day_params()
        self.rng = random.Random(seed)
        self.state = initial_state(self.params)
        self._queue: list[tuple[float, int, ev.Event]] = []
        self._n = 0
        self._plan()

    def _at(self, t: float, event: ev.Event) -> None:
        self._n += 1
        heapq.heappush(self._queue, (t, self._n, event))

    def _plan(self) -> None:
        t, n = float(DAY_START), 0
        end = DAY_START + DAY_LENGTH
        while t < end:
            t += self.rng.expovariate(1 / 150)
            n += 1
            queue = "sales" if self.rng.random() < 0.6 else "support"
            prio = 5 if self.rng.random() < 0.1 else 0
            self._at(round(t), ev.CallArrived(f"C{n:03}", queue, prio))
            if self.rng.random() < 0.08:  # an impatient caller
                self._at(round(t) + self.rng.randint(20, 90), ev.CallerHangup(f"C{n:03}"))
        s = DAY_START
        self._at(s + 3600, ev.SetStatus("bob", "withdrawn", "break"))
        self._at(s + 3600 + 900, ev.SetStatus("bob", "ready", "manual"))
        self._at(s + 5400, ev.SetStatus("dan", "unavailable", "manual"))
        self._at(s + 5400 + 1800, ev.SetStatus("dan", "ready", "manual"))
        self._at(s + 7200, ev.OpenContact("chloe", "renewals"))
        self._at(s + 7260, ev.Dial("chloe", "+33 (1) 45 67 89 00"))
        self._at(s + 7500, ev.CallEnd("chloe"))
        self._at(s + 7620, ev.ReturnHome("chloe"))
        self._at(end + 60, ev.Logout("alice"))
        self._at(end + 60, ev.Logout("bob"))
        self._at(end + 60, ev.Logout("chloe"))
        self._at(end + 60, ev.Logout("dan", immediate=True))

    def _react(self, record: Record) -> None:
        """Scripted agents: answer most offers after a few rings; Dan misses many."""
        if record.type == "OFFER_STARTED":
            agent = record["agent"]
            miss = 0.5 if agent == "dan" else 0.05
            if self.rng.random() >= miss:
                self._at(record.t + self.rng.randint(2, 9), ev.Hook(agent, True))
        elif record.type == "CALL_CONNECTED":
            self._at(record.t + self.rng.randint(60, 300), ev.Hook(record["agent"], False))
        elif record.type == "CALL_ENDED" and record["reason"] == "remote_hangup":
            self._at(record.t + 1, ev.Hook(record["agent"], False))  # puts the headset down
        elif record.type == "STATUS_CHANGED" and record["reason"] == "no_answer":
            self._at(record.t + 600, ev.SetStatus(record["agent"], "ready", "manual"))

    def __iter__(self) -> Iterator[tuple[Happening | None, list[Record]]]:
        """Timers and planned events in time order (a timer first at equal t), so agents
        react to each offer before its ring timeout can fire."""
        while self._queue or next_deadline(self.state) < math.inf:
            t_next = self._queue[0][0] if self._queue else math.inf
            if next_deadline(self.state) <= t_next:
                self.state, records = run_timers(self.state, until=t_next, limit=1)
                for record in records:
                    self._react(record)
                yield None, records
                continue
            _, _, event = heapq.heappop(self._queue)
            if self._moot(event):
                continue
            self.state, records = step(self.state, event, t_next)
            for record in records:
                self._react(record)
            yield Happening(t_next, event), records

    def _moot(self, event: ev.Event) -> bool:
        """A planned action overtaken by events does not happen: a pick-up whose offer already
        rang out, a caller hanging up a call that is gone, an agent who logged out."""
        if isinstance(event, ev.Hook):
            agent = self.state.agents[event.agent]
            return agent.offer is None if event.off_hook else not agent.off_hook
        if isinstance(event, ev.CallerHangup):
            return event.call not in self.state.calls
        agent_id = getattr(event, "agent", None)
        return agent_id is not None and self.state.agents[agent_id].status == "logged_out"
