"""The ACD core's state: agents, calls, queues and pending deadlines.

The state is rebuilt entirely from journal records (`evolve.apply`), so everything here is
either set by a record or derived from what records set (eligibility indexes, the timer heap).
`state_hash` covers what records set, which is what a rebuild must reproduce.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from firmware.acd.params import AcdParams, AgentParams, QueueParams

NEVER = float("-inf")

# A timer: (deadline, order set, kind, agent id). Stale timers are skipped when they come up
# (lazy cancellation): each kind has a validity rule in `core.timer_is_live`.
Timer = tuple[float, int, str, str]


@dataclass(slots=True, eq=False)
class Agent:
    """One agent's live state (DESIGN.md 2.2)."""

    params: AgentParams
    order: int  # position in the configuration (the `linear` strategy's order)
    status: str
    reason: str | None
    origin: str
    failed: int = 0
    blocked_until: float = NEVER  # retry delay after a failed offer
    off_hook: bool = False
    connected: bool = True  # headset plugged in
    offer: str | None = None  # call ringing at this agent
    offer_t: float = 0.0  # when the ringing offer started (tells stale ring timers apart)
    call: str | None = None  # connected call (inbound or outbound)
    last_end: float = NEVER  # end of the last ACD call (longest_idle)
    wrapup_until: float | None = None
    logout_at: float | None = None
    logout_origin: str = "user"
    eligible_in: list[tuple[QueueRt, tuple[Any, ...]]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.params.id

    def view(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "origin": self.origin,
            "failed": self.failed,
            "blocked_until": self.blocked_until,
            "off_hook": self.off_hook,
            "connected": self.connected,
            "offer": self.offer,
            "offer_t": self.offer_t,
            "call": self.call,
            "last_end": self.last_end,
            "wrapup_until": self.wrapup_until,
            "logout_at": self.logout_at,
            "logout_origin": self.logout_origin,
        }


@dataclass(slots=True, eq=False)
class Call:
    """A call the core knows: waiting in a queue, ringing, or connected to an agent."""

    id: str
    queue: str | None  # None for an agent's outbound call
    priority: int
    t_enqueue: float
    state: str = "waiting"  # waiting | ringing | answered | connected
    offers: set[str] = field(default_factory=set)
    agent: str | None = None

    @property
    def rank(self) -> tuple[int, float, str]:
        return (-self.priority, self.t_enqueue, self.id)

    @property
    def acd(self) -> bool:
        return self.queue is not None

    def view(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "priority": self.priority,
            "t_enqueue": self.t_enqueue,
            "state": self.state,
            "offers": sorted(self.offers),
            "agent": self.agent,
        }


@dataclass(slots=True, eq=False)
class QueueRt:
    """A queue at run time: waiting calls by rank and by age, and its eligible agents."""

    params: QueueParams
    members: tuple[str, ...]
    waiting: SortedList = field(default_factory=SortedList)  # call ranks
    by_age: SortedList = field(default_factory=SortedList)  # (t_enqueue, call id)
    eligible: SortedList = field(default_factory=SortedList)  # strategy keys
    n_ready: int = 0
    n_withdrawn: int = 0
    rr_last: str | None = None  # round_robin: the agent last offered a call

    @property
    def name(self) -> str:
        return self.params.name


@dataclass(slots=True, eq=False)
class AcdState:
    """Everything the core knows. `seq` and `now` are those of the last record applied."""

    params: AcdParams
    agents: dict[str, Agent]
    queues: dict[str, QueueRt]
    campaigns: dict[str, bool]  # name -> auto_withdraw
    calls: dict[str, Call] = field(default_factory=dict)
    seq: int = 0
    now: float = 0.0
    timers: list[Timer] = field(default_factory=list)
    timer_order: int = 0

    def push_timer(self, deadline: float, kind: str, agent: str) -> None:
        self.timer_order += 1
        heapq.heappush(self.timers, (deadline, self.timer_order, kind, agent))


def blank_state(params: AcdParams) -> AcdState:
    """The state before any record: every agent in its configured start status (origin user).

    Eligibility indexes are still empty: `core.initial_state` fills them."""
    queues = {
        q.name: QueueRt(q, tuple(a.id for a in params.agents if q.name in a.queues))
        for q in params.queues
    }
    agents = {}
    for i, a in enumerate(params.agents):
        reason = a.reason or ("manual" if a.status == "withdrawn" else None)
        agents[a.id] = Agent(a, i, a.status, reason, "user")
    state = AcdState(params, agents, queues, {c.name: c.auto_withdraw for c in params.campaigns})
    for agent in agents.values():
        for qname in agent.params.queues:
            count_status(state.queues[qname], agent.status, +1)
    return state


def count_status(queue: QueueRt, status: str, delta: int) -> None:
    if status == "ready":
        queue.n_ready += delta
    elif status == "withdrawn":
        queue.n_withdrawn += delta


def state_hash(state: AcdState) -> str:
    """A digest of everything records set (not the clock or derived indexes)."""
    view = {
        "seq": state.seq,
        "agents": {k: a.view() for k, a in sorted(state.agents.items())},
        "calls": {k: c.view() for k, c in sorted(state.calls.items())},
        "queues": {
            k: {"waiting": list(q.waiting), "rr_last": q.rr_last}
            for k, q in sorted(state.queues.items())
        },
    }
    text = json.dumps(view, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
