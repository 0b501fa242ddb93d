"""Which agents may be offered a call, kept as one sorted index per queue, and the strategies
that pick from it (DESIGN.md 2.2, 2.3, 2.7). Picking is O(log n) in the number of agents."""

from __future__ import annotations

from typing import Any

from firmware.acd.params import Strategy
from firmware.acd.state import AcdState, Agent, QueueRt


def is_eligible(agent: Agent, now: float) -> bool:
    """READY, logged in and not logging out, idle, on-hook (hook devices), plugged in and
    outside any retry delay."""
    return (
        agent.status == "ready"
        and agent.logout_at is None
        and agent.offer is None
        and agent.call is None
        and not (agent.params.hook_device and agent.off_hook)
        and agent.connected
        and now >= agent.blocked_until
    )


def _key(queue: QueueRt, agent: Agent) -> tuple[Any, ...]:
    strategy = queue.params.strategy
    if strategy is Strategy.LONGEST_IDLE:
        # penalty first; an agent that never ended an ACD call has last_end -inf: first.
        return (agent.params.penalty, agent.last_end, agent.id)
    if strategy is Strategy.LINEAR:
        return (agent.order, agent.id)
    return (agent.id,)  # round_robin and ring_all work on ids


def refresh(state: AcdState, agent: Agent) -> None:
    """Bring the agent's entries in the queue indexes in line with its current state."""
    wanted: list[tuple[QueueRt, tuple[Any, ...]]] = []
    if is_eligible(agent, state.now):
        wanted = [(state.queues[q], _key(state.queues[q], agent)) for q in agent.params.queues]
    if wanted == agent.eligible_in:
        return
    for queue, key in agent.eligible_in:
        queue.eligible.remove(key)
    for queue, key in wanted:
        queue.eligible.add(key)
    agent.eligible_in = wanted


def pick(queue: QueueRt) -> list[str]:
    """The agent(s) the queue's strategy offers its head call to (empty if none eligible)."""
    index = queue.eligible
    if not index:
        return []
    strategy = queue.params.strategy
    if strategy is Strategy.RING_ALL:
        return [key[-1] for key in index]
    if strategy is Strategy.ROUND_ROBIN and queue.rr_last is not None:
        i = index.bisect_right((queue.rr_last,))
        return [index[i if i < len(index) else 0][-1]]
    return [index[0][-1]]
