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
CALL_TIMERS = frozenset({"recording", "callback_due", "callback_ring"})

# A timer: (deadline, order set, kind, key). The key is an agent id, or a call id for the
# call timers (CALL_TIMERS). Stale timers are skipped when they come up (lazy cancellation):
# each kind has a validity rule in `core.timer_is_live`.
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
    # power-mode callback: the (status, reason, origin) the agent is released to afterwards
    reserved_from: tuple[str, str | None, str] | None = None
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
            "reserved_from": self.reserved_from,
        }


@dataclass(slots=True, eq=False)
class Call:
    """A call the core knows: waiting in a queue, ringing, or connected to an agent.

    Besides inbound and outbound calls this is also a consult leg (`parent` names the
    customer call) and a callback (`kind` "callback"); see docs/acd-calls.md."""

    id: str
    queue: str | None  # None for an agent's outbound call
    priority: int
    t_enqueue: float
    # waiting | ringing | answered | connected; consult legs ring as "consult", blind
    # transfers as "transferring"; callbacks are "scheduled" then "waiting", "dialing"
    state: str = "waiting"
    offers: set[str] = field(default_factory=set)
    agent: str | None = None
    kind: str = "call"  # call | consult | callback
    # in-call state of a customer call (docs/acd-calls.md)
    parent: str | None = None  # consult leg: the customer call it consults for
    consult: str | None = None  # customer call: its consult leg
    hold: str | None = None  # None | "customer" | "consulted": who is on hold
    conference: bool = False
    rec_paused: bool = False
    rec_resume_at: float | None = None  # automatic recording resume
    cad: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (value, version)
    # callbacks
    number: str | None = None
    campaign: str | None = None
    owner: str | None = None  # the agent who scheduled it (a personal callback)
    due: float | None = None
    attempts: int = 0  # attempts counted against the campaign's retry budget
    dials: int = 0  # every dial, counted or not

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
            "kind": self.kind,
            "parent": self.parent,
            "consult": self.consult,
            "hold": self.hold,
            "conference": self.conference,
            "rec_paused": self.rec_paused,
            "rec_resume_at": self.rec_resume_at,
            "cad": {k: list(v) for k, v in sorted(self.cad.items())},
            "number": self.number,
            "campaign": self.campaign,
            "owner": self.owner,
            "due": self.due,
            "attempts": self.attempts,
            "dials": self.dials,
        }

    @property
    def uses_line(self) -> bool:
        """Whether the call holds a line (site-wide `max_calls`): not a callback before it is
        dialled."""
        return not (self.kind == "callback" and self.state in ("scheduled", "waiting"))


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
    lines: int = 0  # calls holding a line (`Call.uses_line`), kept by `evolve.apply`
    wall_offset: float | None = None  # wall-clock seconds (naive, epoch) minus core time
    # consult legs and blind transfers whose every offer ended unanswered: `core` ends them
    # right after the event (derived: empty between steps)
    orphans: set[str] = field(default_factory=set)

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


def lines_full(state: AcdState) -> bool:
    """Whether the site is at its `max_calls` (0 = no limit)."""
    limit = state.params.max_calls
    return limit > 0 and state.lines >= limit


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
        "wall_offset": state.wall_offset,
    }
    text = json.dumps(view, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
