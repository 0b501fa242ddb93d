"""In-call rules (seed 002, the Webex agent desktop): hold and resume, consult an agent, a
queue or a number, blind and consult transfer, conference, and what hanging up means in each.

A customer call has at most one consult leg (a `Call` of kind "consult" whose `parent` is the
customer call). `Call.hold` says who is on hold: "customer", "consulted" or nobody, so the
two can never both be on hold; during a consult, hold, resume and the headset's Flash button
all swap them. Everything here acts by emitting records (docs/acd-calls.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.dialing import DialError, normalise
from firmware.acd.eligibility import pick
from firmware.acd.state import Agent, Call, lines_full
from firmware.acd.transitions import Rejected, Step, after_call, end_call, end_leg, unhold


def known_agent(step: Step, agent_id: str) -> Agent:
    agent = step.state.agents.get(agent_id)
    if agent is None:
        raise Rejected("ERR_UNKNOWN_AGENT", f"unknown agent {agent_id!r}")
    return agent


def own_call(step: Step, agent: Agent) -> Call:
    """The customer call the agent is connected to (not a consult leg it was called on)."""
    call = step.state.calls.get(agent.call or "")
    if call is None or call.state != "connected":
        raise Rejected("ERR_NO_CALL", f"agent {agent.id!r} has no connected call")
    if call.kind == "consult":
        raise Rejected("ERR_CONSULTED", f"agent {agent.id!r} is the consulted party")
    return call


def _number(text: str) -> str:
    try:
        return normalise(text)
    except DialError as exc:
        raise Rejected("ERR_NUMBER_LENGTH", str(exc)) from None


def _idle(agent: Agent) -> str | None:
    """Why the agent cannot be rung for a consult or transfer now (None: it can)."""
    if agent.status == "logged_out" or agent.logout_at is not None:
        return "is logged out or logging out"
    if agent.offer is not None or agent.call is not None:
        return "is ringing or in a call"
    if not agent.connected:
        return "has no headset connected"
    if agent.params.hook_device and agent.off_hook:
        return "is off-hook"
    return None


def _check_target(step: Step, caller: Agent, target_id: str, transfer: bool) -> Agent:
    target = known_agent(step, target_id)
    why = "is the agent asking" if target is caller else _idle(target)
    if why is None and transfer and target.status != "ready":
        # "Vous ne pouvez pas transférer un appel à un agent qui est en état de post-appel."
        why = f"is {target.status} ({target.reason}): only ready agents take a transfer"
    if (
        why is None
        and not transfer
        and not (
            target.status == "ready" or (target.status == "withdrawn" and target.origin != "system")
        )
    ):
        why = f"is {target.status} ({target.reason}): consult a ready or idle agent"
    if why is not None:
        raise Rejected("ERR_TARGET_UNAVAILABLE", f"agent {target_id!r} {why}")
    return target


def _swap(step: Step, call: Call) -> None:
    """Talk to the other party: release one before holding the other, so never both."""
    leg = step.state.calls[call.consult or ""]
    if call.hold == "customer":
        step.emit("HOLD_CHANGED", call=call.id, party="customer", held=False)
        if leg.state == "connected":
            step.emit("HOLD_CHANGED", call=call.id, party="consulted", held=True)
    elif call.hold == "consulted":
        step.emit("HOLD_CHANGED", call=call.id, party="consulted", held=False)
        step.emit("HOLD_CHANGED", call=call.id, party="customer", held=True)
    else:  # the consult still rings and the agent talks to the customer
        step.emit("HOLD_CHANGED", call=call.id, party="customer", held=True)


def _hold_action(step: Step, agent_id: str, want: bool | None) -> None:
    """hold (want True), resume (False), flash (None: toggle)."""
    call = own_call(step, known_agent(step, agent_id))
    if call.conference:
        raise Rejected("ERR_IN_CONFERENCE", f"call {call.id!r} is a conference")
    if call.consult is not None:
        _swap(step, call)
        return
    held = call.hold == "customer"
    if want is not None and held == want:
        code = "ERR_ALREADY_HELD" if want else "ERR_NOT_HELD"
        raise Rejected(code, f"call {call.id!r} is {'already' if held else 'not'} on hold")
    step.emit("HOLD_CHANGED", call=call.id, party="customer", held=not held)


def consult(step: Step, e: ev.Consult) -> None:
    agent = known_agent(step, e.agent)
    call = own_call(step, agent)
    if call.consult is not None:
        raise Rejected("ERR_IN_CONSULT", f"call {call.id!r} already has a consult")
    targets: list[str] = []
    target = e.target
    if e.to == "agent":
        targets = [_check_target(step, agent, e.target, transfer=False).id]
    elif e.to == "queue":
        queue = step.state.queues.get(e.target)
        if queue is None:
            raise Rejected("ERR_UNKNOWN_QUEUE", f"unknown queue {e.target!r}")
        targets = pick(queue)  # who the queue's strategy would offer a call to now
        if not targets:
            raise Rejected("ERR_TARGET_UNAVAILABLE", f"no agent of queue {e.target!r} is free")
    else:
        target = _number(e.target)
        if step.state.params.max_calls and lines_full(step.state):
            raise Rejected("ERR_MAX_CALLS", "the site is at its maximum of simultaneous calls")
    # "Lorsque vous êtes en consultation avec un autre agent, votre appel avec le client est
    # automatiquement mis en attente."
    if call.hold != "customer":
        step.emit("HOLD_CHANGED", call=call.id, party="customer", held=True)
    leg = f"#cons{step.state.seq + 1}"  # '#' never starts an outside call id
    step.emit("CONSULT_STARTED", agent=agent.id, call=call.id, leg=leg, to=e.to, target=target)
    for agent_id in targets:
        step.emit("OFFER_STARTED", agent=agent_id, call=leg)


def _consult_leg(step: Step, call: Call, answered: bool) -> Call:
    if call.consult is None:
        raise Rejected("ERR_NO_CONSULT", f"call {call.id!r} has no consult")
    leg = step.state.calls[call.consult]
    if answered and leg.state != "connected":
        # "Jusqu'à ce que l'agent consulté accepte l'appel de consultation, les boutons
        # Transfert et Conférence sont désactivés"
        raise Rejected("ERR_CONSULT_NOT_ANSWERED", f"consult {leg.id!r} is not answered yet")
    return leg


def consult_end(step: Step, e: ev.ConsultEnd) -> None:
    call = own_call(step, known_agent(step, e.agent))
    end_leg(step, _consult_leg(step, call, answered=False), "consult_ended")


def _complete_transfer(step: Step, agent: Agent, call: Call, leg: Call) -> None:
    """The consulted party takes the customer; the transferring agent's part ends."""
    acd = call.acd
    unhold(step, call)  # the customer talks to whoever takes the call
    if leg.agent is not None:
        step.emit("TRANSFER_COMPLETED", call=call.id, to=leg.agent, **{"from": agent.id})
        after_call(step, agent, acd)
    else:  # a dialled number takes the customer: the call leaves the site
        step.emit("CALL_ENDED", call=leg.id, agent=None, reason="transferred")
        end_call(step, agent, "transferred")


def transfer(step: Step, e: ev.Transfer) -> None:
    agent = known_agent(step, e.agent)
    call = own_call(step, agent)
    if e.to is None:
        _complete_transfer(step, agent, call, _consult_leg(step, call, answered=True))
        return
    if call.consult is not None:
        raise Rejected("ERR_IN_CONSULT", "end the consult, or transfer to the consulted party")
    assert e.target is not None
    acd, target = call.acd, e.target
    if e.to == "agent":
        target = _check_target(step, agent, e.target, transfer=True).id
    elif e.to == "queue" and e.target not in step.state.queues:
        raise Rejected("ERR_UNKNOWN_QUEUE", f"unknown queue {e.target!r}")
    elif e.to == "number":
        target = _number(e.target)
    unhold(step, call)
    step.emit("TRANSFER_STARTED", agent=agent.id, call=call.id, to=e.to, target=target)
    if e.to == "agent":
        step.emit("OFFER_STARTED", agent=target, call=call.id)
    elif e.to == "number":
        step.emit("CALL_ENDED", call=call.id, agent=None, reason="transferred")
    after_call(step, agent, acd)


def conference(step: Step, e: ev.Conference) -> None:
    call = own_call(step, known_agent(step, e.agent))
    leg = _consult_leg(step, call, answered=True)
    if call.conference:
        raise Rejected("ERR_IN_CONFERENCE", f"call {call.id!r} is already a conference")
    unhold(step, call)  # everyone talks: nobody stays on hold
    step.emit("CONFERENCE_STARTED", agent=e.agent, call=call.id, leg=leg.id)


def agent_hangs_up(step: Step, agent: Agent, physical: bool) -> None:
    """The agent hangs up (hook on, or the desktop's end button when not `physical`)."""
    call = step.state.calls[agent.call or ""]
    if call.kind == "consult" or call.agent != agent.id:
        end_call(step, agent, "agent_hangup")  # the consulted party leaves the consult
    elif call.conference:
        # the agent who set the conference up leaves it: the others go on without it
        _complete_transfer(step, agent, call, step.state.calls[call.consult or ""])
    elif call.consult is not None:
        # hanging up the physical phone during a consult ends the consult leg only
        end_leg(step, step.state.calls[call.consult], "agent_hangup")
    elif call.hold == "customer" and not physical:
        # "L'état Appel en attente s'affiche en regard du minuteur. Le bouton de fin est
        # désactivé."
        raise Rejected("ERR_ON_HOLD", f"call {call.id!r} is on hold: resume it to end it")
    else:
        end_call(step, agent, "agent_hangup")


HANDLERS_CALLS: dict[type[ev.Event], Callable[[Step, Any], None]] = {
    ev.Hold: lambda s, e: _hold_action(s, e.agent, True),
    ev.Resume: lambda s, e: _hold_action(s, e.agent, False),
    ev.Flash: lambda s, e: _hold_action(s, e.agent, None),
    ev.Consult: consult,
    ev.ConsultEnd: consult_end,
    ev.Transfer: transfer,
    ev.Conference: conference,
}
