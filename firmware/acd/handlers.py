"""One handler per input event (DESIGN.md 2.5, 2.7). A handler either acts through the
transitions or raises `Rejected`, which the core journals as a REJECTED record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.cad import HANDLERS_CAD
from firmware.acd.callbacks import HANDLERS_CALLBACKS
from firmware.acd.calls import HANDLERS_CALLS, agent_hangs_up
from firmware.acd.dialing import DialError, normalise
from firmware.acd.reasons import SYSTEM_REASONS
from firmware.acd.recording import HANDLERS_RECORDING
from firmware.acd.state import Agent, lines_full
from firmware.acd.transitions import (
    Rejected,
    Step,
    answer,
    change_status,
    complete_logout,
    end_call,
    end_offer,
    fail_offer,
    manual_status,
)


def _agent(step: Step, agent_id: str) -> Agent:
    agent = step.state.agents.get(agent_id)
    if agent is None:
        raise Rejected("ERR_UNKNOWN_AGENT", f"unknown agent {agent_id!r}")
    return agent


def _logged_in(step: Step, agent_id: str) -> Agent:
    agent = _agent(step, agent_id)
    if agent.status == "logged_out":
        raise Rejected("ERR_LOGGED_OUT", f"agent {agent_id!r} is logged out")
    return agent


def call_arrived(step: Step, e: ev.CallArrived) -> None:
    queue = step.state.queues.get(e.queue)
    if queue is None:
        raise Rejected("ERR_UNKNOWN_QUEUE", f"unknown queue {e.queue!r}")
    if e.call in step.state.calls:
        raise Rejected("ERR_DUPLICATE_CALL", f"call {e.call!r} is already in progress")
    limit = queue.params.max_queue_len
    if limit and len(queue.by_age) >= limit:  # waiting inbound calls (callbacks never fill it)
        step.emit("CALL_OVERFLOW", call=e.call, reason="FULL")
    elif step.state.params.max_calls and lines_full(step.state):
        step.emit("CALL_OVERFLOW", call=e.call, reason="MAX_CALLS")
    else:
        step.emit("CALL_ENQUEUED", call=e.call, queue=e.queue, priority=e.priority)


def caller_hangup(step: Step, e: ev.CallerHangup) -> None:
    call = step.state.calls.get(e.call)
    if call is None:
        raise Rejected("ERR_UNKNOWN_CALL", f"unknown call {e.call!r}")
    if call.agent is not None:
        end_call(step, step.state.agents[call.agent], "remote_hangup")
        return
    for agent_id in sorted(call.offers):
        end_offer(step, step.state.agents[agent_id], "CALLER_ABANDONED")
    step.emit("CALL_ENDED", call=call.id, agent=None, reason="caller_abandoned")


def hook(step: Step, e: ev.Hook) -> None:
    agent = _agent(step, e.agent)
    if not agent.params.hook_device:
        raise Rejected("ERR_NO_HOOK_DEVICE", f"agent {e.agent!r} has no hook device")
    if agent.off_hook == e.off_hook:
        return  # a repeated level is not a change
    step.emit("HOOK_CHANGED", agent=agent.id, off_hook=e.off_hook)
    if e.off_hook and agent.offer is not None:
        answer(step, agent)
    elif not e.off_hook and agent.call is not None:
        agent_hangs_up(step, agent, physical=True)


def answer_event(step: Step, e: ev.Answer) -> None:
    agent = _agent(step, e.agent)
    if agent.offer is None:
        raise Rejected("ERR_NO_OFFER", f"no offer is ringing at agent {e.agent!r}")
    answer(step, agent)


def refuse(step: Step, e: ev.Refuse) -> None:
    agent = _agent(step, e.agent)
    if agent.offer is None:
        raise Rejected("ERR_NO_OFFER", f"no offer is ringing at agent {e.agent!r}")
    fail_offer(step, agent, "REFUSED")


def _end_own_call(step: Step, agent_id: str, reason: str) -> None:
    agent = _agent(step, agent_id)
    if agent.call is None:
        raise Rejected("ERR_NO_CALL", f"agent {agent_id!r} has no call")
    if reason == "agent_hangup":
        agent_hangs_up(step, agent, physical=False)
    else:
        end_call(step, agent, reason)


def _call_end(step: Step, e: ev.CallEnd) -> None:
    agent = _agent(step, e.agent)
    if e.call is not None and agent.call is not None and agent.call != e.call:
        raise Rejected(
            "ERR_NOT_THAT_CALL", f"agent {e.agent!r} is on call {agent.call!r}, not {e.call!r}"
        )
    _end_own_call(step, e.agent, "remote_hangup")


def set_status(step: Step, e: ev.SetStatus) -> None:
    agent = _logged_in(step, e.agent)
    if e.reason in SYSTEM_REASONS:
        raise Rejected("ERR_FORBIDDEN_REASON", f"reason {e.reason!r} is set by the system only")
    manual_status(step, agent, e.status, e.reason, e.by)


def open_contact(step: Step, e: ev.OpenContact) -> None:
    agent = _agent(step, e.agent)
    auto_withdraw = step.state.campaigns.get(e.campaign)
    if auto_withdraw is None:
        raise Rejected("ERR_UNKNOWN_CAMPAIGN", f"unknown campaign {e.campaign!r}")
    if auto_withdraw and agent.status == "ready":
        change_status(step, agent, "withdrawn", "preview", "system")


def return_home(step: Step, e: ev.ReturnHome) -> None:
    agent = _agent(step, e.agent)
    if (
        agent.status == "withdrawn"
        and agent.origin == "system"
        and agent.reason in ("preview", "post_call")
        and agent.params.switch_to_ready_on_home
    ):
        change_status(step, agent, "ready", "return_home", "system")


def dial(step: Step, e: ev.Dial) -> None:
    agent = _agent(step, e.agent)
    if agent.offer is not None or agent.call is not None:
        raise Rejected("ERR_BUSY", f"agent {e.agent!r} is ringing or in a call")
    try:
        number = normalise(e.number)
    except DialError as exc:
        raise Rejected("ERR_NUMBER_LENGTH", str(exc)) from None
    if step.state.params.max_calls and lines_full(step.state):
        raise Rejected("ERR_MAX_CALLS", "the site is at its maximum of simultaneous calls")
    step.emit("DIALED", agent=agent.id, number=number)


def logout(step: Step, e: ev.Logout) -> None:
    agent = _logged_in(step, e.agent)
    if e.immediate:
        complete_logout(step, agent, e.by)  # an established call goes on until it ends
    elif agent.logout_at is not None:
        raise Rejected("ERR_LOGOUT_PENDING", f"agent {e.agent!r} is already logging out")
    else:
        extra = {"origin": e.by} if e.by != "user" else {}
        remaining = step.state.params.logout_negotiation
        step.emit("LOGOUT_PENDING", agent=agent.id, remaining=remaining, **extra)


def login(step: Step, e: ev.Login) -> None:
    agent = _agent(step, e.agent)
    if agent.status != "logged_out":
        raise Rejected("ERR_LOGGED_IN", f"agent {e.agent!r} is already logged in")
    manual_status(step, agent, "ready", "login", e.by)


def device(step: Step, e: ev.Device) -> None:
    agent = _agent(step, e.agent)
    if agent.connected == e.connected:
        return
    step.emit("DEVICE_CHANGED", agent=agent.id, connected=e.connected)
    if not e.connected and agent.offer is not None:
        end_offer(step, agent, "UNREACHABLE")


def restart(step: Step, e: ev.Restart) -> None:
    """After a restart nothing rings and no audio flows: end offers and live calls."""
    agents = sorted(step.state.agents.values(), key=lambda a: a.id)
    for agent in agents:
        if agent.offer is not None:
            end_offer(step, agent, "CANCELLED")
    for agent in agents:
        if agent.call is not None:
            end_call(step, agent, "restart")


def invalid(step: Step, e: ev.Invalid) -> None:
    raise Rejected(e.code, e.detail)


HANDLERS: dict[type[ev.Event], Callable[[Step, Any], None]] = {
    ev.CallArrived: call_arrived,
    ev.CallerHangup: caller_hangup,
    ev.Hook: hook,
    ev.Answer: answer_event,
    ev.Hangup: lambda s, e: _end_own_call(s, e.agent, "agent_hangup"),
    ev.Refuse: refuse,
    ev.CallEnd: _call_end,
    ev.SetStatus: set_status,
    ev.OpenContact: open_contact,
    ev.ReturnHome: return_home,
    ev.Dial: dial,
    ev.Logout: logout,
    ev.Login: login,
    ev.Device: device,
    ev.Advance: lambda s, e: None,
    ev.Restart: restart,
    ev.Invalid: invalid,
    **HANDLERS_CALLS,
    **HANDLERS_RECORDING,
    **HANDLERS_CAD,
    **HANDLERS_CALLBACKS,
}
