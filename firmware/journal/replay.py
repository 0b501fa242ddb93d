"""`deskgate replay`: an event script (JSON lines, DESIGN.md 2.5) through the core on a
simulated clock, optionally journaled and resumable after a crash."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from firmware.acd import events as ev
from firmware.acd.core import initial_state, next_deadline, run_timers, step
from firmware.acd.params import AcdParams
from firmware.acd.records import Record
from firmware.acd.state import AcdState
from firmware.journal.recovery import rebuild
from firmware.journal.store import Journal, JournalError

DRAIN_LIMIT = 1_000_000  # timers fired after the last event before giving up (a runaway)


@dataclass(frozen=True)
class ScriptLine:
    """One non-blank line of a script: its number, its event and its time (None if unknown)."""

    number: int
    event: ev.Event
    t: float | None


def read_script(path: Path) -> Iterator[ScriptLine]:
    """Parse a script line by line; a bad line becomes an `Invalid` event, never an error."""
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield ScriptLine(
                    number, ev.Invalid("ERR_MALFORMED", f"not JSON: {exc}", line=number), None
                )
                continue
            try:
                t = ev.event_time(obj)
            except ev.EventError as exc:
                yield ScriptLine(number, ev.Invalid(exc.code, exc.detail, line=number), None)
                continue
            try:
                yield ScriptLine(number, ev.parse_event(obj, number), t)
            except ev.EventError as exc:
                yield ScriptLine(number, ev.Invalid(exc.code, exc.detail, line=number), t)


def fingerprint(params: AcdParams) -> str:
    return hashlib.sha256(repr(params).encode()).hexdigest()[:16]


class Replayer:
    """Feeds script lines to the core, journals each step, then reports its records."""

    def __init__(
        self, params: AcdParams, journal: Journal | None, report: Callable[[Record], None]
    ) -> None:
        self.journal, self.report = journal, report
        self.done_line = 0
        if journal is None:
            self.state: AcdState = initial_state(params)
            return
        stored = journal.meta("config")
        if stored is not None and stored != fingerprint(params):
            raise JournalError(
                f"{journal.path}: written with another configuration; "
                "use a new journal file or the configuration it was written with"
            )
        existing = list(journal.records())
        self.state = rebuild(params, existing)
        for record in existing:
            report(record)
        self.done_line = int(journal.meta("line") or 0)
        if stored is None:
            journal.append([], {"config": fingerprint(params)})

    def _commit(self, records: list[Record], line: int) -> None:
        if self.journal is not None:
            self.journal.append(records, {"line": str(line)})
        for record in records:
            self.report(record)

    def feed(self, item: ScriptLine) -> None:
        if item.number <= self.done_line:
            return  # already journaled before a crash
        t = self.state.now if item.t is None else item.t
        self.state, records = step(self.state, item.event, t)
        self.done_line = item.number
        self._commit(records, item.number)

    def drain(self) -> None:
        """Fire every timer left after the last event, one journaled step each."""
        for _ in range(DRAIN_LIMIT):
            if next_deadline(self.state) == math.inf:
                return
            self.state, records = run_timers(self.state, limit=1)
            self._commit(records, self.done_line)
        raise JournalError(f"timers still firing after {DRAIN_LIMIT} steps: a runaway script?")


def replay(
    params: AcdParams,
    script: Path,
    journal: Journal | None,
    report: Callable[[Record], None],
) -> AcdState:
    runner = Replayer(params, journal, report)
    for item in read_script(script):
        runner.feed(item)
    runner.drain()
    return runner.state
