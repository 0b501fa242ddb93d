"""Apply one journal record to the state: the only code that changes what records set.

The core decides by emitting records and applying each one here at once, and recovery rebuilds
the state by applying the journal's records in order, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware.acd.eligibility import refresh
from firmware.acd.evolve_calls import APPLY_CALLS
from firmware.acd.queueing import dequeue as _dequeue
from firmware.acd.queueing import enqueue as _enqueue
from firmware.acd.records import Record
from firmware.acd.state import AcdState, Agent, Call, count_status

REQUEUE_OUTCOMES = frozenset({"NO_ANSWER", "REFUSED", "CANCELLED", "UNREACHABLE"})
FAILED_OUTCOMES = frozenset({"NO_ANSWER", "REFUSED"})


def _call_enqueued(state: AcdState, r: Record) -> None:
    call = Call(r["call"], r["queue"], r["priority"], r.t)
    state.calls[call.id] = call
    _enqueue(state, call)


def _offer_started(state: AcdState, r: Record) -> None:
    call, agent = state.calls[r["call"]], state.agents[r["agent"]]
    if call.state in ("consult", "transferring"):
        pass  # a consult leg or a blind transfer rings its target: no queue involved
    else:
        _dequeue(state, call)
        call.state = "ringing"
        assert call.queue is not None
        state.queues[call.queue].rr_last = agent.id
    call.offers.add(agent.id)
    agent.offer, agent.offer_t = call.id, r.t
    state.push_timer(r.t + state.params.ring_timeout, "ring", agent.id)
    refresh(state, agent)


def _offer_ended(state: AcdState, r: Record) -> None:
    call, agent, outcome = state.calls[r["call"]], state.agents[r["agent"]], r["outcome"]
    agent.offer = None
    call.offers.discard(agent.id)
    if outcome in FAILED_OUTCOMES:
        agent.blocked_until = r.t + state.params.retry_delay
        if state.params.retry_delay > 0:
            state.push_timer(agent.blocked_until, "unblock", agent.id)
    elif outcome == "ANSWERED":
        call.state = "answered"
    if outcome in REQUEUE_OUTCOMES and call.state == "ringing" and not call.offers:
        _enqueue(state, call)  # keeps its t_enqueue, so its rank
    elif call.state in ("consult", "transferring") and not call.offers:
        state.orphans.add(call.id)  # nobody took it: the core ends it after the event
    refresh(state, agent)


def _call_connected(state: AcdState, r: Record) -> None:
    call, agent = state.calls[r["call"]], state.agents[r["agent"]]
    call.state, call.agent = "connected", agent.id
    agent.call = call.id
    refresh(state, agent)


def _call_ended(state: AcdState, r: Record) -> None:
    call = state.calls.pop(r["call"])
    _dequeue(state, call)
    state.orphans.discard(call.id)
    if call.parent is not None:  # a consult leg: the customer call goes on
        parent = state.calls[call.parent]
        parent.consult, parent.conference = None, False
        if parent.hold == "consulted":
            parent.hold = None
    if r["agent"] is not None:
        agent = state.agents[r["agent"]]
        agent.call = None
        if call.acd:
            agent.last_end = r.t
        refresh(state, agent)


def _call_overflow(state: AcdState, r: Record) -> None:
    call = state.calls.pop(r["call"], None)
    if call is not None:
        _dequeue(state, call)


def _status_changed(state: AcdState, r: Record) -> None:
    agent = state.agents[r["agent"]]
    was_preview = agent.status == "withdrawn" and agent.reason == "preview"
    for q in agent.params.queues:
        count_status(state.queues[q], agent.status, -1)
        count_status(state.queues[q], r["to"], +1)
    # a power-mode callback reserves the agent; any other change ends the reservation
    before = (agent.status, agent.reason, agent.origin)
    agent.reserved_from = before if r["reason"] == "reserved" else None
    agent.status, agent.reason, agent.origin = r["to"], r["reason"], r["origin"]
    agent.wrapup_until = None
    if r["reason"] == "post_call" and not was_preview and state.params.wrapup > 0:
        # post_call after an ACD call lasts `wrapup`; after a preview it lasts until
        # return_home or a manual change.
        agent.wrapup_until = r.t + state.params.wrapup
        state.push_timer(agent.wrapup_until, "wrapup", agent.id)
    if r["to"] == "logged_out":
        agent.logout_at = None
    refresh(state, agent)


def _counter_changed(state: AcdState, r: Record) -> None:
    state.agents[r["agent"]].failed = r["value"]


def _hook_changed(state: AcdState, r: Record) -> None:
    agent = state.agents[r["agent"]]
    agent.off_hook = r["off_hook"]
    refresh(state, agent)


def _device_changed(state: AcdState, r: Record) -> None:
    agent = state.agents[r["agent"]]
    agent.connected = r["connected"]
    refresh(state, agent)


def _logout_pending(state: AcdState, r: Record) -> None:
    agent = state.agents[r["agent"]]
    agent.logout_at = r.t + r["remaining"]
    agent.logout_origin = r.get("origin", "user")
    state.push_timer(agent.logout_at, "logout", agent.id)
    refresh(state, agent)


def _logout_done(state: AcdState, r: Record) -> None:
    agent: Agent = state.agents[r["agent"]]
    agent.logout_at = None
    refresh(state, agent)


def outbound_call_id(seq: int) -> str:
    """The id of the outbound call a DIALED record with this seq started."""
    return f"#out{seq}"  # '#' never starts a call id from outside (events.py rejects it)


def _dialed(state: AcdState, r: Record) -> None:
    agent = state.agents[r["agent"]]
    call = Call(outbound_call_id(r.seq), None, 0, r.t, state="connected", agent=agent.id)
    state.calls[call.id] = call
    agent.call = call.id
    refresh(state, agent)


def _nothing(state: AcdState, r: Record) -> None:
    pass


_APPLY: dict[str, Callable[[AcdState, Record], None]] = {
    "CALL_ENQUEUED": _call_enqueued,
    "OFFER_STARTED": _offer_started,
    "OFFER_ENDED": _offer_ended,
    "CALL_CONNECTED": _call_connected,
    "CALL_ENDED": _call_ended,
    "CALL_OVERFLOW": _call_overflow,
    "STATUS_CHANGED": _status_changed,
    "COUNTER_CHANGED": _counter_changed,
    "HOOK_CHANGED": _hook_changed,
    "DEVICE_CHANGED": _device_changed,
    "LOGOUT_PENDING": _logout_pending,
    "LOGOUT_DONE": _logout_done,
    "DIALED": _dialed,
    "REJECTED": _nothing,
    **APPLY_CALLS,
}


def _touched(state: AcdState, record: Record) -> tuple[str, ...]:
    """The calls a record may start, end or change: its call, its consult leg."""
    call_id = record.get("call")
    if call_id is None:
        return (outbound_call_id(record.seq),) if record.type == "DIALED" else ()
    call = state.calls.get(call_id)
    leg = record.get("leg") or (call.consult if call is not None else None)
    return (call_id,) if leg is None else (call_id, leg)


def _lines(state: AcdState, ids: tuple[str, ...]) -> int:
    return sum(1 for i in ids if (c := state.calls.get(i)) is not None and c.uses_line)


def apply(state: AcdState, record: Record) -> None:
    """Apply `record` (which must follow the state's last seq) to `state` in place, keeping
    the count of lines in use (`max_calls`) in step at O(1) a record."""
    if record.seq != state.seq + 1:
        raise ValueError(f"record {record.seq} does not follow {state.seq}")
    state.seq, state.now = record.seq, record.t
    touched = _touched(state, record)
    before = _lines(state, touched)
    _APPLY[record.type](state, record)
    state.lines += _lines(state, touched) - before
