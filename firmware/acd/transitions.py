"""The transitions the core shares between events and timers: answering, failing, cancelling
an offer, ending a call, changing status, completing a logout (DESIGN.md 2.3, 2.4, 2.7).

Each one decides by reading the state and acts only by emitting records through `Step.emit`,
which applies every record to the state at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from firmware.acd import status_table
from firmware.acd.evolve import apply
from firmware.acd.records import Record, make
from firmware.acd.state import AcdState, Agent, Call


class Rejected(Exception):
    """The event is refused; `code` becomes the REJECTED record's error."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(slots=True)
class Step:
    """The records one call of `core.step` produced, applied to `state` as they are made."""

    state: AcdState
    out: list[Record] = field(default_factory=list)

    def emit(self, rtype: str, **fields: Any) -> None:
        record = make(self.state.seq + 1, self.state.now, rtype, **fields)
        apply(self.state, record)
        self.out.append(record)


def reset_counter(step: Step, agent: Agent) -> None:
    if agent.failed:
        step.emit("COUNTER_CHANGED", agent=agent.id, value=0)


def answer(step: Step, agent: Agent) -> None:
    """The agent took its ringing offer: connect it; other ring_all offers lose the race."""
    assert agent.offer is not None
    call = step.state.calls[agent.offer]
    step.emit("OFFER_ENDED", agent=agent.id, call=call.id, outcome="ANSWERED")
    for other_id in sorted(call.offers):
        step.emit("OFFER_ENDED", agent=other_id, call=call.id, outcome="LOST_RACE")
        finish_pending_logout(step, step.state.agents[other_id])
    step.emit("CALL_CONNECTED", agent=agent.id, call=call.id)
    reset_counter(step, agent)
    if call.parent is not None and step.state.calls[call.parent].hold is None:
        # the consulting agent is talking to the customer: the consulted party waits
        step.emit("HOLD_CHANGED", call=call.parent, party="consulted", held=True)


def fail_offer(step: Step, agent: Agent, outcome: str) -> None:
    """NO_ANSWER or REFUSED: count it; the max-th successive failure withdraws the agent."""
    assert agent.offer is not None
    step.emit("OFFER_ENDED", agent=agent.id, call=agent.offer, outcome=outcome)
    limit = step.state.params.max_failed_offers
    value = min(agent.failed + 1, limit)
    if value != agent.failed:
        step.emit("COUNTER_CHANGED", agent=agent.id, value=value)
    if value >= limit and agent.status == "ready":
        change_status(step, agent, "withdrawn", "no_answer", "system")
    finish_pending_logout(step, agent)


def end_offer(step: Step, agent: Agent, outcome: str) -> None:
    """An offer ends without counting (CANCELLED, UNREACHABLE); the call keeps its rank."""
    assert agent.offer is not None
    step.emit("OFFER_ENDED", agent=agent.id, call=agent.offer, outcome=outcome)
    finish_pending_logout(step, agent)


def end_call(step: Step, agent: Agent, reason: str) -> None:
    """The agent's call ended: journal it, then start post-call wrap-up where it applies."""
    assert agent.call is not None
    call = step.state.calls[agent.call]
    if call.consult is not None:  # the customer is gone: the consult leg goes too
        end_leg(
            step,
            step.state.calls[call.consult],
            "restart" if reason == "restart" else "customer_ended",
        )
    if call.parent is not None and step.state.calls[call.parent].hold == "consulted":
        unhold(step, step.state.calls[call.parent])  # the held consulted party hung up
    step.emit("CALL_ENDED", call=call.id, agent=agent.id, reason=reason)
    after_call(step, agent, call.acd)


def after_call(step: Step, agent: Agent, acd_call: bool) -> None:
    """The agent's part in a call is over (ended or transferred): release a callback
    reservation, finish a pending logout, or start post-call wrap-up where it applies."""
    release(step, agent)
    if agent.logout_at is not None:
        finish_pending_logout(step, agent)  # no post_call during a negotiated logout
        return
    in_preview = agent.status == "withdrawn" and agent.reason == "preview"
    wraps_up = acd_call and agent.status == "ready" and step.state.params.wrapup > 0
    if in_preview or wraps_up:  # a call of any kind after a preview; an ACD call otherwise
        change_status(step, agent, "withdrawn", "post_call", "system")


def change_status(step: Step, agent: Agent, to: str, reason: str | None, origin: str) -> None:
    """Journal a status change, first cancelling a ringing offer when leaving `ready`."""
    if status_table.find(agent.status, agent.reason, to, reason, origin) is None:
        raise AssertionError(f"{agent.status}({agent.reason}) -> {to}({reason}, {origin})")
    if agent.offer is not None and to != "ready":
        step.emit("OFFER_ENDED", agent=agent.id, call=agent.offer, outcome="CANCELLED")
    step.emit(
        "STATUS_CHANGED",
        agent=agent.id,
        reason=reason,
        origin=origin,
        to=to,
        **{"from": agent.status},
    )


def manual_status(step: Step, agent: Agent, to: str, reason: str, origin: str) -> None:
    """A user's or supervisor's choice: always resets the failure counter; re-selecting the
    current status changes nothing else."""
    if (to, reason, origin) != (agent.status, agent.reason, agent.origin) and not (
        to == agent.status == "ready"
    ):
        change_status(step, agent, to, reason, origin)
    reset_counter(step, agent)


def finish_pending_logout(step: Step, agent: Agent) -> None:
    """Complete a negotiated logout once it is due and the agent has no offer or call."""
    if (
        agent.logout_at is not None
        and agent.logout_at <= step.state.now
        and agent.offer is None
        and agent.call is None
    ):
        complete_logout(step, agent, agent.logout_origin)


def complete_logout(step: Step, agent: Agent, origin: str) -> None:
    if agent.offer is not None:
        step.emit("OFFER_ENDED", agent=agent.id, call=agent.offer, outcome="CANCELLED")
    step.emit("LOGOUT_DONE", agent=agent.id)
    change_status(step, agent, "logged_out", "logout", origin)
    reset_counter(step, agent)


def release(step: Step, agent: Agent) -> None:
    """End a power-mode reservation: back to the status the agent had before it (always
    `ready`: only an eligible agent is reserved), reason `released`."""
    if agent.reserved_from is not None:
        change_status(step, agent, agent.reserved_from[0], "released", "system")


def end_leg(step: Step, leg: Call, reason: str) -> None:
    """End a consult leg, ringing or connected; the customer call goes on (held if it was).
    The consulted agent gets no post-call wrap-up."""
    for agent_id in sorted(leg.offers):
        end_offer(step, step.state.agents[agent_id], "CANCELLED")
    parent = step.state.calls[leg.parent or ""]
    if parent.hold == "consulted":
        unhold(step, parent)
    step.emit("CALL_ENDED", call=leg.id, agent=leg.agent, reason=reason)
    if leg.agent is not None:
        finish_pending_logout(step, step.state.agents[leg.agent])


def unhold(step: Step, call: Call) -> None:
    """Take whoever is on hold off hold (before a transfer or a conference, say)."""
    if call.hold is not None:
        step.emit("HOLD_CHANGED", call=call.id, party=call.hold, held=False)


def end_orphans(step: Step) -> None:
    """End the consult legs and blind transfers that every offered agent failed to take: a
    failed consult (the customer stays held), an abandoned transfer."""
    for call_id in sorted(step.state.orphans):
        call = step.state.calls[call_id]
        reason = "transfer_abandoned" if call.state == "transferring" else "consult_failed"
        step.emit("CALL_ENDED", call=call_id, agent=None, reason=reason)
