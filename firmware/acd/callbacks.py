"""Callbacks and the callback campaign's contact rule (seeds 002 and 004).

A callback is scheduled for a due time, waits in its queue among the inbound calls by the same
rank (priority, then first come; priority ordering can be switched off per campaign), and is
dialled when it heads the queue and an agent of the queue is eligible. In power mode the agent
is first reserved (`withdrawn(reserved, system)`) and released to its previous status when
the attempt ends. A customer who does not answer sends the callback back to the queue with its
original rank until the campaign's attempts are used up; operational errors count only when
the campaign says so. The campaign calendar is evaluated on the wall clock, which the core
learns from the `wall_clock` event (see docs/acd-calls.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.calendar import CalendarError, next_open, wall_seconds
from firmware.acd.dialing import DialError, normalise
from firmware.acd.evolve_calls import contact_rule
from firmware.acd.params import ContactRule
from firmware.acd.state import Call
from firmware.acd.transitions import Rejected, Step, after_call, change_status, end_call, release

NOT_ANSWERED = frozenset({"no_answer", "busy"})
OPERATIONAL_ERRORS = frozenset({"network_error", "invalid_number", "unreachable"})


def _open_at(step: Step, rule: ContactRule, due: float) -> float | None:
    """The first core instant >= due when the campaign's calendar is open (None: never)."""
    if rule.calendar is None:
        return due
    offset = step.state.wall_offset
    assert offset is not None
    wall = next_open(rule.calendar, due + offset)
    return None if wall is None else wall - offset


def wall_clock(step: Step, e: ev.WallClock) -> None:
    try:
        wall_seconds(e.at)
    except CalendarError as exc:
        raise Rejected("ERR_BAD_TIME", str(exc)) from None
    step.emit("WALL_CLOCK", at=e.at)


def callback_request(step: Step, e: ev.CallbackRequest) -> None:
    state = step.state
    campaign = state.params.campaign(e.campaign)
    if campaign is None or campaign.rule is None:
        raise Rejected("ERR_UNKNOWN_CAMPAIGN", f"no callback campaign {e.campaign!r}")
    rule = campaign.rule
    if e.queue not in state.queues:
        raise Rejected("ERR_UNKNOWN_QUEUE", f"unknown queue {e.queue!r}")
    if e.call in state.calls:
        raise Rejected("ERR_DUPLICATE_CALL", f"call {e.call!r} is already in progress")
    try:
        number = normalise(e.number)
    except DialError as exc:
        raise Rejected("ERR_NUMBER_LENGTH", str(exc)) from None
    if e.agent is not None:
        if e.agent not in state.agents:
            raise Rejected("ERR_UNKNOWN_AGENT", f"unknown agent {e.agent!r}")
        pending = sum(c.kind == "callback" and c.owner == e.agent for c in state.calls.values())
        if rule.max_per_agent and pending >= rule.max_per_agent:
            raise Rejected(
                "ERR_CALLBACK_LIMIT",
                f"agent {e.agent!r} has {pending} pending callbacks (at most "
                f"{rule.max_per_agent} in campaign {e.campaign!r})",
            )
    if rule.calendar is not None and state.wall_offset is None:
        raise Rejected("ERR_NO_WALL_CLOCK", "the wall clock is not known yet (wall_clock)")
    due = _open_at(step, rule, max(state.now, e.due if e.due is not None else state.now))
    if due is None:
        raise Rejected("ERR_CAMPAIGN_CLOSED", f"campaign {e.campaign!r} never opens again")
    step.emit(
        "CALLBACK_SCHEDULED",
        call=e.call,
        campaign=e.campaign,
        queue=e.queue,
        number=number,
        priority=e.priority,
        due=due,
        owner=e.agent,
    )


def _closed(step: Step, call: Call) -> bool:
    """If the campaign's calendar is closed now, defer the callback to its next opening (or
    end it when there is none) and say so."""
    due = _open_at(step, contact_rule(step.state, call), step.state.now)
    if due is None:
        step.emit("CALL_ENDED", call=call.id, agent=None, reason="campaign_closed")
    elif due > step.state.now:
        step.emit("CALLBACK_DEFERRED", call=call.id, due=due)
    else:
        return False
    return True


def callback_due(step: Step, call: Call) -> None:
    """A scheduled callback falls due: it queues, or waits for the calendar's next opening."""
    if not _closed(step, call):
        step.emit("CALLBACK_QUEUED", call=call.id)


def dial_callback(step: Step, call: Call, agent_id: str) -> None:
    """The callback heads its queue and `agent_id` is the queue's pick: reserve, then dial
    (unless the calendar closed while it waited: then it waits for the next opening)."""
    if _closed(step, call):
        return
    agent = step.state.agents[agent_id]
    if contact_rule(step.state, call).power:
        change_status(step, agent, "withdrawn", "reserved", "system")
    step.emit(
        "CALLBACK_DIALING", agent=agent.id, call=call.id, number=call.number, attempt=call.dials + 1
    )


def callback_failed(step: Step, call: Call, result: str) -> None:
    """The attempt failed: count it where the rule says, release the agent, retry or give up."""
    rule = contact_rule(step.state, call)
    counted = result in NOT_ANSWERED or (
        rule.count_operational_errors and result in OPERATIONAL_ERRORS
    )
    attempts = call.attempts + counted
    agent = step.state.agents.get(call.agent or "")
    step.emit("CALLBACK_FAILED", call=call.id, agent=call.agent, result=result, attempts=attempts)
    if agent is not None:
        after_call(step, agent, acd_call=False)  # back to the status before the reservation
    if attempts >= rule.max_attempts:
        step.emit("CALL_ENDED", call=call.id, agent=None, reason="retries_exhausted")


def _dialing(step: Step, call_id: str) -> Call:
    call = step.state.calls.get(call_id)
    if call is None or call.kind != "callback":
        raise Rejected("ERR_UNKNOWN_CALL", f"no callback {call_id!r}")
    return call


def callback_result(step: Step, e: ev.CallbackResult) -> None:
    call = _dialing(step, e.call)
    if call.state != "dialing" or call.agent is None:
        raise Rejected("ERR_NOT_DIALING", f"callback {e.call!r} is not being dialled")
    if e.result == "answered":
        agent = step.state.agents[call.agent]
        step.emit("CALL_CONNECTED", agent=agent.id, call=call.id)
        release(step, agent)
    else:
        callback_failed(step, call, e.result)


def callback_cancel(step: Step, e: ev.CallbackCancel) -> None:
    """Cancel a callback; one being dialled ends like a call, with post-call wrap-up."""
    call = _dialing(step, e.call)
    if call.agent is not None:
        end_call(step, step.state.agents[call.agent], "cancelled")
    else:
        step.emit("CALL_ENDED", call=call.id, agent=None, reason="cancelled")


HANDLERS_CALLBACKS: dict[type[ev.Event], Callable[[Step, Any], None]] = {
    ev.WallClock: wall_clock,
    ev.CallbackRequest: callback_request,
    ev.CallbackResult: callback_result,
    ev.CallbackCancel: callback_cancel,
}
