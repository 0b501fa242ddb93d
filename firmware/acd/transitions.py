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
from firmware.acd.state import AcdState, Agent


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
    acd_call = step.state.calls[agent.call].acd
    step.emit("CALL_ENDED", call=agent.call, agent=agent.id, reason=reason)
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
