"""The ACD core's entry point: `step(state, event, now) -> (state, records)`.

Pure: no I/O, no threads, no wall clock. Time is the `now` the caller passes (a monotonic
clock in the service, the script's `t` in replay). Deadlines (ring timeout, retry delay,
wrap-up, logout, queue overflow) are kept in the state and fire inside `step` as timers at
their own instant, before the event: at equal `t` a timer wins (an answer exactly at the
deadline is late). After every event or timer the queues settle: overflow, then distribution.

`step` updates the state it is given in place and returns it: copying 10,000 agents for each
event would cost more than the decision itself. Use `copy_state` for a snapshot.
"""

from __future__ import annotations

import copy
import heapq
import math

from firmware.acd import events as ev
from firmware.acd.callbacks import callback_due, callback_failed, dial_callback
from firmware.acd.eligibility import pick, refresh
from firmware.acd.handlers import HANDLERS
from firmware.acd.params import AcdParams
from firmware.acd.records import Record
from firmware.acd.state import (
    CALL_TIMERS,
    AcdState,
    QueueRt,
    Timer,
    blank_state,
    lines_full,
    state_hash,
)
from firmware.acd.transitions import (
    Rejected,
    Step,
    change_status,
    end_orphans,
    fail_offer,
    finish_pending_logout,
)

__all__ = [
    "AcdState",
    "copy_state",
    "initial_state",
    "next_deadline",
    "run_timers",
    "state_hash",
    "step",
]

INF = math.inf


def copy_state(state: AcdState) -> AcdState:
    return copy.deepcopy(state)


def _timer_is_live(state: AcdState, timer: Timer) -> bool:
    deadline, _, kind, agent_id = timer
    if kind in CALL_TIMERS:
        call = state.calls.get(agent_id)
        if call is None:
            return False
        if kind == "recording":
            return call.rec_resume_at == deadline
        wanted = "scheduled" if kind == "callback_due" else "dialing"
        return call.state == wanted and call.due == deadline
    agent = state.agents[agent_id]
    if kind == "ring":
        return agent.offer is not None and agent.offer_t + state.params.ring_timeout == deadline
    if kind == "unblock":
        return agent.blocked_until == deadline
    if kind == "wrapup":
        return agent.wrapup_until == deadline
    return agent.logout_at == deadline  # "logout"


def _overflow_due(queue: QueueRt, now: float) -> tuple[float, str] | None:
    """The earliest instant the queue's oldest waiting call overflows, with the reason."""
    if not queue.by_age:
        return None
    oldest = queue.by_age[0][0]
    p = queue.params
    candidates = []
    if p.max_wait > 0:
        candidates.append((oldest + p.max_wait, "MAX_WAIT"))
    if queue.n_ready == 0:
        if queue.n_withdrawn > 0 and p.wait_time_1 > 0:
            candidates.append((oldest + p.wait_time_1, "WAIT_TIME_1"))
        elif queue.n_withdrawn == 0 and p.wait_time_2 > 0:
            candidates.append((oldest + p.wait_time_2, "WAIT_TIME_2"))
    return min(candidates) if candidates else None


def next_deadline(state: AcdState) -> float:
    """When the next timer or overflow falls due (inf if nothing is pending)."""
    while state.timers and not _timer_is_live(state, state.timers[0]):
        heapq.heappop(state.timers)
    deadline = state.timers[0][0] if state.timers else INF
    for queue in state.queues.values():
        due = _overflow_due(queue, state.now)
        if due is not None and due[0] < deadline:
            deadline = due[0]
    return deadline


def _fire_timer(step: Step, timer: Timer) -> None:
    _, _, kind, agent_id = timer
    if kind in CALL_TIMERS:
        call = step.state.calls[agent_id]
        if kind == "recording":
            step.emit("RECORDING_RESUMED", agent=call.agent, call=call.id, origin="system")
        elif kind == "callback_due":
            callback_due(step, call)
        else:
            callback_failed(step, call, "no_answer")  # the customer did not answer
        return
    agent = step.state.agents[agent_id]
    if kind == "ring":
        fail_offer(step, agent, "NO_ANSWER")
    elif kind == "unblock":
        refresh(step.state, agent)
    elif kind == "wrapup":
        change_status(step, agent, "ready", "wrapup_end", "system")
    else:
        finish_pending_logout(step, agent)  # deferred while an offer or call goes on


def _settle(step: Step) -> None:
    """Overflow what is due, then distribute: waiting calls in global rank order, each to
    the best eligible agent of its queue."""
    state = step.state
    if state.orphans:
        end_orphans(step)
    for queue in state.queues.values():
        while (due := _overflow_due(queue, state.now)) is not None and due[0] <= state.now:
            step.emit("CALL_OVERFLOW", call=queue.by_age[0][1], reason=due[1])
    while True:
        best: QueueRt | None = None
        full = state.params.max_calls > 0 and lines_full(state)
        for queue in state.queues.values():
            if (queue.waiting and queue.eligible) and (
                best is None or queue.waiting[0] < best.waiting[0]
            ):
                if full and state.calls[queue.waiting[0][2]].kind == "callback":
                    continue  # no line to dial it on: it waits (and holds its rank)
                best = queue
        if best is None:
            return
        call_id = best.waiting[0][2]
        call = state.calls[call_id]
        if call.kind == "callback":
            dial_callback(step, call, pick(best)[0])
            continue
        for agent_id in pick(best):
            step.emit("OFFER_STARTED", agent=agent_id, call=call_id)


def _run_due(step: Step, until: float, limit: int) -> int:
    """Fire every timer and overflow due at or before `until`, each at its own instant."""
    state, fired = step.state, 0
    while fired < limit and (deadline := next_deadline(state)) <= until and deadline < INF:
        state.now = max(state.now, deadline)
        if state.timers and state.timers[0][0] <= state.now:
            _fire_timer(step, heapq.heappop(state.timers))
        _settle(step)
        fired += 1
    return fired


def step(state: AcdState, event: ev.Event, now: float) -> tuple[AcdState, list[Record]]:
    """Fire the timers due by `now`, apply `event` at `now`, settle; return the new records.

    An event the core refuses becomes a REJECTED record (never an exception); so does an
    event stamped before the core's clock.
    """
    work = Step(state)
    if now < state.now:
        _reject(work, event, "ERR_TIME_BACKWARDS", f"t={now} is before the clock ({state.now})")
        return state, work.out
    _run_due(work, now, limit=1 << 62)
    state.now = now
    handler = HANDLERS[type(event)]
    try:
        handler(work, event)
    except Rejected as exc:
        _reject(work, event, exc.code, exc.detail)
    _settle(work)
    _run_due(work, now, limit=1 << 62)
    return state, work.out


def run_timers(
    state: AcdState, until: float = INF, limit: int = 100_000
) -> tuple[AcdState, list[Record]]:
    """Fire pending timers up to `until` (all of them by default, at most `limit`)."""
    work = Step(state)
    _run_due(work, until, limit)
    return state, work.out


def _reject(work: Step, event: ev.Event, code: str, detail: str) -> None:
    work.emit("REJECTED", error=code, line=event.line, detail=detail)


def initial_state(params: AcdParams) -> AcdState:
    """The state before any record: agents in their configured start status, indexed."""
    state = blank_state(params)
    for agent in state.agents.values():
        refresh(state, agent)
    return state
