"""Queue statistics recomputed from journal records: service level (answered within the
threshold / answered) and abandon rate (abandoned / offered) per queue, plus callbacks.

A pure function over the records, so the figures are the same after a restart as before it:
the journal is the only input. `deskgate stats` and `gwctl stats` print them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class RecordLike(Protocol):
    """A journal record (`records.Record`): a type, a time and named fields."""

    @property
    def type(self) -> str: ...

    @property
    def t(self) -> float: ...

    def get(self, key: str, default: Any = None) -> Any: ...


@dataclass(slots=True)
class QueueStats:
    """One queue's figures. Rates are None while their denominator is 0."""

    queue: str
    offered: int = 0  # calls that entered the queue (CALL_ENQUEUED)
    answered: int = 0  # of those, answered by an agent
    answered_within: int = 0  # answered within the threshold after entering the queue
    abandoned: int = 0  # the caller hung up before an answer
    overflowed: int = 0  # left by an overflow rule
    callbacks_scheduled: int = 0
    callbacks_connected: int = 0
    callbacks_given_up: int = 0  # retries used up, or the campaign closed for good

    @property
    def service_level(self) -> float | None:
        return self.answered_within / self.answered if self.answered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "offered": self.offered,
            "answered": self.answered,
            "answered_within": self.answered_within,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "service_level": self.service_level,
            "abandon_rate": self.abandon_rate,
            "callbacks_scheduled": self.callbacks_scheduled,
            "callbacks_connected": self.callbacks_connected,
            "callbacks_given_up": self.callbacks_given_up,
        }


GIVEN_UP = frozenset({"retries_exhausted", "campaign_closed"})


def queue_stats(
    records: Iterable[RecordLike], threshold: float, queues: Iterable[str] = ()
) -> dict[str, QueueStats]:
    """Figures per queue from `records` (in journal order); `queues` lists queues to show
    even without traffic. A call counts in the queue it first entered."""
    out = {q: QueueStats(q) for q in queues}
    entered: dict[str, tuple[str, float]] = {}  # inbound call -> (queue, t entered)
    callbacks: dict[str, str] = {}  # callback -> queue
    done: set[str] = set()  # inbound calls answered, abandoned or overflowed

    def of(queue: str) -> QueueStats:
        return out.setdefault(queue, QueueStats(queue))

    for r in records:
        call = r.get("call")
        if r.type == "CALL_ENQUEUED":
            entered[call] = (r.get("queue"), r.t)
            done.discard(call)  # a call id used again is a new call
            of(r.get("queue")).offered += 1
        elif r.type == "CALLBACK_SCHEDULED":
            callbacks[call] = r.get("queue")
            of(r.get("queue")).callbacks_scheduled += 1
        elif call in callbacks:
            if r.type == "CALL_CONNECTED":
                of(callbacks[call]).callbacks_connected += 1
            elif r.type == "CALL_ENDED":
                if r.get("reason") in GIVEN_UP:
                    of(callbacks[call]).callbacks_given_up += 1
                del callbacks[call]
        elif call in entered and call not in done:
            queue, t_in = entered[call]
            stats = of(queue)
            if r.type == "CALL_CONNECTED":
                stats.answered += 1
                stats.answered_within += r.t - t_in <= threshold
                done.add(call)
            elif r.type == "CALL_ENDED" and r.get("reason") == "caller_abandoned":
                stats.abandoned += 1
                done.add(call)
            elif r.type == "CALL_OVERFLOW":
                stats.overflowed += 1
                done.add(call)
    return dict(sorted(out.items()))
