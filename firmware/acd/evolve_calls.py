"""Apply the in-call and callback records to the state (docs/acd-calls.md).

Part of `evolve.apply`: the only code that changes what these records set. Each function
reads nothing but the record, the state before it and the parameters, so the state rebuilt
from the journal is the state the core had.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware.acd.calendar import wall_seconds
from firmware.acd.eligibility import refresh
from firmware.acd.params import ContactRule
from firmware.acd.queueing import dequeue, enqueue
from firmware.acd.records import Record
from firmware.acd.state import AcdState, Call


def contact_rule(state: AcdState, call: Call) -> ContactRule:
    """The contact rule of a callback's campaign."""
    campaign = state.params.campaign(call.campaign or "")
    assert campaign is not None and campaign.rule is not None
    return campaign.rule


def _hold_changed(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    if r["held"]:
        call.hold = r["party"]
    elif call.hold == r["party"]:
        call.hold = None


def _consult_started(state: AcdState, r: Record) -> None:
    parent = state.calls[r["call"]]
    leg = Call(r["leg"], None, 0, r.t, state="consult", kind="consult", parent=parent.id)
    if r["to"] == "number":
        leg.state = "connected"  # the far end is outside: connected as it is dialled
    state.calls[leg.id] = leg
    parent.consult = leg.id


def _conference_started(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    call.conference, call.hold = True, None


def _agent_leaves(state: AcdState, agent_id: str, call: Call, t: float) -> None:
    agent = state.agents[agent_id]
    agent.call = None
    if call.acd:
        agent.last_end = t
    refresh(state, agent)


def _transfer_started(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    _agent_leaves(state, r["agent"], call, r.t)
    call.agent, call.hold, call.state = None, None, "transferring"
    if r["to"] == "queue":
        call.queue, call.t_enqueue, call.offers = r["target"], r.t, set()
        enqueue(state, call)


def _transfer_completed(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    if call.consult is not None:
        state.calls.pop(call.consult)  # the consult leg becomes the customer's call
    call.consult, call.hold, call.conference = None, None, False
    _agent_leaves(state, r["from"], call, r.t)
    target = state.agents[r["to"]]
    call.agent, target.call = target.id, call.id
    refresh(state, target)


def _recording_paused(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    call.rec_paused = True
    if state.params.recording_auto_resume > 0:
        call.rec_resume_at = r.t + state.params.recording_auto_resume
        state.push_timer(call.rec_resume_at, "recording", call.id)


def _recording_resumed(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    call.rec_paused, call.rec_resume_at = False, None


def _cad_changed(state: AcdState, r: Record) -> None:
    state.calls[r["call"]].cad[r["name"]] = (r["value"], r["version"])


def _wall_clock(state: AcdState, r: Record) -> None:
    state.wall_offset = wall_seconds(r["at"]) - r.t


def _callback_scheduled(state: AcdState, r: Record) -> None:
    # its rank in the queue is fixed by its first due time: retries and deferrals keep it
    call = Call(r["call"], r["queue"], r["priority"], r["due"], state="scheduled", kind="callback")
    call.number, call.campaign, call.owner, call.due = (
        r["number"],
        r["campaign"],
        r["owner"],
        r["due"],
    )
    if not contact_rule(state, call).priority_order:
        call.priority = 0  # first come, first served
    state.calls[call.id] = call
    state.push_timer(r["due"], "callback_due", call.id)


def _callback_queued(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    call.due = None
    enqueue(state, call)


def _callback_deferred(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    dequeue(state, call)  # a callback heading its queue while the campaign is closed
    call.state, call.due = "scheduled", r["due"]
    state.push_timer(call.due, "callback_due", call.id)


def _callback_dialing(state: AcdState, r: Record) -> None:
    call, agent = state.calls[r["call"]], state.agents[r["agent"]]
    state.queues[call.queue or ""].waiting.remove(call.rank)
    call.state, call.agent, call.dials = "dialing", agent.id, r["attempt"]
    call.due = r.t + contact_rule(state, call).customer_ring_timeout
    state.push_timer(call.due, "callback_ring", call.id)
    agent.call = call.id
    refresh(state, agent)


def _callback_failed(state: AcdState, r: Record) -> None:
    call = state.calls[r["call"]]
    rule = contact_rule(state, call)
    if r["agent"] is not None:
        agent = state.agents[r["agent"]]
        agent.call = None
        refresh(state, agent)
    call.agent, call.attempts, call.due = None, r["attempts"], None
    if call.attempts >= rule.max_attempts:
        call.state = "given_up"  # CALL_ENDED follows
    elif rule.retry_interval > 0:
        call.state, call.due = "scheduled", r.t + rule.retry_interval
        state.push_timer(call.due, "callback_due", call.id)
    else:
        enqueue(state, call)  # back with its original rank


def _nothing(state: AcdState, r: Record) -> None:
    pass


APPLY_CALLS: dict[str, Callable[[AcdState, Record], None]] = {
    "HOLD_CHANGED": _hold_changed,
    "CONSULT_STARTED": _consult_started,
    "CONFERENCE_STARTED": _conference_started,
    "TRANSFER_STARTED": _transfer_started,
    "TRANSFER_COMPLETED": _transfer_completed,
    "WRAPUP_REASON": _nothing,
    "RECORDING_PAUSED": _recording_paused,
    "RECORDING_RESUMED": _recording_resumed,
    "CAD_CHANGED": _cad_changed,
    "CAD_CONFLICT": _nothing,
    "WALL_CLOCK": _wall_clock,
    "CALLBACK_SCHEDULED": _callback_scheduled,
    "CALLBACK_QUEUED": _callback_queued,
    "CALLBACK_DEFERRED": _callback_deferred,
    "CALLBACK_DIALING": _callback_dialing,
    "CALLBACK_FAILED": _callback_failed,
}
