"""Putting calls into a queue's indexes and taking them out, shared by the record appliers.

A queue keeps its waiting calls by rank (`waiting`, for distribution) and, for inbound calls
only, by age (`by_age`, for the overflow rules and `max_queue_len`): a callback waits in rank
order among the calls but never overflows and never fills the queue.
"""

from __future__ import annotations

from firmware.acd.state import AcdState, Call


def dequeue(state: AcdState, call: Call) -> None:
    if call.state == "waiting" and call.queue is not None:
        queue = state.queues[call.queue]
        queue.waiting.remove(call.rank)
        if call.kind != "callback":
            queue.by_age.remove((call.t_enqueue, call.id))


def enqueue(state: AcdState, call: Call) -> None:
    assert call.queue is not None
    call.state = "waiting"
    queue = state.queues[call.queue]
    queue.waiting.add(call.rank)
    if call.kind != "callback":
        queue.by_age.add((call.t_enqueue, call.id))
