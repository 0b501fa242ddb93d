"""The ACD core as the service runs it: recovered from the journal, every step made durable
before anything acts on it, on a clock that continues the journal's.

Clock: the core's `now` is the last journal record's `t` plus the monotonic seconds since the
service started (times `speed` on the simulated board), so timers keep their meaning across a
restart and never run backwards when the wall clock jumps.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.core import next_deadline, run_timers, step
from firmware.acd.params import AcdParams
from firmware.acd.records import Record
from firmware.journal.recovery import rebuild, recover
from firmware.journal.store import Journal, JournalError
from firmware.service.journal_writer import JournalWriter

log = logging.getLogger("deskgate.acd")

Listener = Callable[[list[Record]], None]


class CoreClock:
    """`now()` = `base` + `speed` × monotonic seconds since `restart(base)`."""

    def __init__(self, base: float = 0.0, speed: float = 1.0) -> None:
        self.speed = speed
        self.restart(base)

    def restart(self, base: float) -> None:
        self.base = base
        self._t0 = time.monotonic()

    def __call__(self) -> float:
        return self.base + self.speed * (time.monotonic() - self._t0)

    def real_seconds_until(self, t: float) -> float:
        """Real seconds until core time `t` (0 if it has passed, inf for inf)."""
        if math.isinf(t):
            return math.inf
        return max(0.0, (t - self()) / self.speed)


class JournaledAcd:
    """The `AcdPort` of `firmware.hid.bridge` over the core and the journal.

    Each step's records go to `listeners` at once (local effects: headsets, desk LEDs) and to
    `durable_listeners` once they are on disk (external acknowledgements: watchers). With a
    writer thread started, appends happen there (see `journal_writer`). `submit` and `tick`
    raise `JournalError` after a failed write: the service then stops (systemd restarts it and
    it recovers). A malformed event raises nothing: it is logged and dropped.
    """

    def __init__(self, params: AcdParams, journal: Journal, clock: CoreClock) -> None:
        self.params, self.journal, self.clock = params, journal, clock
        self.listeners: list[Listener] = []  # local effects: called at once, on the loop
        self.durable_listeners: list[Listener] = []  # external: called once on disk
        self.state, self.recovered = recover(params, journal)
        self.seq = self.durable_seq = journal.last_seq()
        clock.restart(self.state.now)
        self.steps = 0
        self.writer: JournalWriter | None = None
        self.failure: JournalError | None = None

    def start_writer(self) -> None:
        """From now on append on the writer thread (call on the running loop)."""
        self.writer = JournalWriter(
            self.journal.path, asyncio.get_running_loop(), self._durable, self._failed
        )

    def stop_writer(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every step so far is on disk. Raises JournalError when it is not."""
        if self.writer is not None and not self.writer.flush(timeout):
            raise JournalError(f"{self.journal.path}: not written within {timeout:g} s")
        if self.failure is not None:
            raise self.failure

    def _durable(self, records: list[Record]) -> None:
        self.durable_seq = max(self.durable_seq, records[-1].seq)
        for listener in self.durable_listeners:
            listener(records)

    def _failed(self, error: JournalError) -> None:
        self.failure = error

    def submit(self, event: dict[str, Any], now: float) -> list[Record]:
        try:
            parsed = ev.parse_event(event)
        except ev.EventError as exc:
            log.warning("dropped event %s: %s", event, exc)
            return []
        return self.apply(parsed, now)

    def apply(self, event: ev.Event, now: float) -> list[Record]:
        now = max(now, self.state.now)  # the core never sees time run backwards
        self.state, records = step(self.state, event, now)
        self._commit(records)
        return records

    def tick(self, now: float) -> list[Record]:
        """Fire the timers due by `now` (one journaled batch)."""
        if next_deadline(self.state) > now:
            return []
        self.state, records = run_timers(self.state, until=now)
        self._commit(records)
        return records

    def next_deadline(self) -> float:
        return next_deadline(self.state)

    def _commit(self, records: list[Record]) -> None:
        self.steps += 1
        if self.failure is not None:
            raise self.failure  # never act on steps that cannot be made durable
        if not records:
            return
        self.seq = records[-1].seq
        if self.writer is None:
            self.journal.append(records)
        else:
            self.writer.append(records)
        for listener in self.listeners:
            listener(records)
        if self.writer is None:
            self._durable(records)

    def reconfigure(self, params: AcdParams) -> None:
        """Rebuild the state from the journal under new parameters. Raises `JournalError`
        (state unchanged) when the journal does not fit them (an agent removed mid-call)."""
        self.flush()
        state = rebuild(params, self.journal.records())
        state.now = max(state.now, self.state.now)
        self.params, self.state = params, state

    def agent_views(self) -> dict[str, dict[str, Any]]:
        return {aid: a.view() for aid, a in self.state.agents.items()}

    def snapshot(self) -> dict[str, Any]:
        """Agents, calls and queues as `gwctl status` shows them (JSON-ready)."""
        agents = {}
        for aid, a in self.state.agents.items():
            agents[aid] = {
                "status": a.status,
                "reason": a.reason,
                "origin": a.origin,
                "failed_offers": a.failed,
                "off_hook": a.off_hook,
                "connected": a.connected,
                "offer": a.offer,
                "call": a.call,
                "logout_pending": a.logout_at is not None,
            }
        queues = {
            name: {"waiting": [c for _, c in q.by_age], "members": list(q.members)}
            for name, q in self.state.queues.items()
        }
        calls = {cid: c.view() for cid, c in self.state.calls.items()}
        return {
            "seq": self.seq,
            "durable_seq": self.durable_seq,
            "t": self.state.now,
            "agents": agents,
            "queues": queues,
            "calls": calls,
        }
