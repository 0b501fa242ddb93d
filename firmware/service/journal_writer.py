"""Journal appends off the event loop, with group commit.

The journal's `synchronous=FULL` commit costs an fsync (4 ms typical, 15 ms p99 on the
development VM; more on an SD card). Waiting for it on the loop would put it between a hook
press and the headset's Off-Hook LED. Instead the loop hands each step's records to this
writer and goes on with the *local* effects (headset reports, desk LEDs); the writer thread
commits every step queued so far in one transaction and then reports them durable on the
loop, where the *external* acknowledgements happen (watch events, console replies to
changes). A crash can lose only steps nobody outside the desk was told about; recovery then
cancels their offers like any other restart.

The thread owns its own SQLite connection (`Journal` objects are single-threaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from firmware.acd.records import Record
from firmware.journal.store import Journal, JournalError

log = logging.getLogger("deskgate.journal")

Durable = Callable[[list[Record]], None]
Failed = Callable[[JournalError], None]


class JournalWriter:
    """Appends record batches in order on a thread. `on_durable(records)` and
    `on_failed(error)` are called on `loop`. After a failure nothing more is written."""

    def __init__(
        self, path: Path, loop: asyncio.AbstractEventLoop, on_durable: Durable, on_failed: Failed
    ) -> None:
        self.path = path
        self._loop = loop
        self._on_durable, self._on_failed = on_durable, on_failed
        self._queue: queue.Queue[list[Record] | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self.failed: JournalError | None = None
        self.commits = 0
        self._journal = Journal(path)  # opened here so a bad file fails at start
        self._journal.close()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    def append(self, records: list[Record]) -> None:
        if not records:
            return
        with self._idle:
            self._pending += 1
        self._queue.put(records)

    def _run(self) -> None:
        journal = Journal(self.path)
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batches = [first]
                stop = False
                while True:  # group commit: everything queued meanwhile goes in too
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batches.append(more)
                records = [r for batch in batches for r in batch]
                try:
                    if self.failed is None:
                        journal.append(records)
                        self.commits += 1
                        self._call(self._on_durable, records)
                except JournalError as exc:
                    self.failed = exc
                    log.error("journal write failed: %s", exc)
                    self._call(self._on_failed, exc)
                with self._idle:
                    self._pending -= len(batches)
                    self._idle.notify_all()
                if stop:
                    return
        finally:
            journal.close()

    def _call(self, fn: Callable[..., None], arg: object) -> None:
        # RuntimeError: the loop is closed (shutting down); the records are on disk anyway
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(fn, arg)

    def flush(self, timeout: float = 5.0) -> bool:
        """Block until every queued batch is committed (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread and close its connection."""
        self._queue.put(None)
        self._thread.join(timeout)
