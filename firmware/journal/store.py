"""The journal: an append-only SQLite database of ACD records.

WAL mode with `synchronous=FULL`: `append` returns only once its records are on disk, so a
record is durable before anything it acknowledges is reported. Each `append` is one
transaction holding one core step's records and the input position it consumed, so after a
crash or power cut the journal ends on a step boundary and a resumed run knows where to go on.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from firmware.acd.records import Record, RecordError

APPLICATION_ID = 0x64736B67  # "dskg": marks a file as a deskgate journal
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq  INTEGER PRIMARY KEY,
    t    REAL NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class JournalError(Exception):
    """The journal cannot be opened, read or written; the message names the file."""


class Journal:
    """An open journal database. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise JournalError(f"{self.path}: no such journal")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id == 0 and tables == 0:
                self._db.executescript(_SCHEMA)
                self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif app_id != APPLICATION_ID:
                raise JournalError(f"{self.path}: not a deskgate journal (another SQLite file)")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise JournalError(
                    f"{self.path}: journal schema {version}, this deskgate reads {SCHEMA_VERSION}"
                )
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.path}: not a deskgate journal ({exc})") from None
        except sqlite3.Error as exc:  # pragma: no cover - OperationalError on permissions etc.
            raise JournalError(f"{self.path}: cannot open: {exc}") from None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def append(self, records: Iterable[Record], progress: dict[str, str] | None = None) -> None:
        """Write `records` and the `progress` meta keys in one durable transaction."""
        rows = [(r.seq, r.t, r.type, r.to_json()) for r in records]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)", rows)
            for key, value in (progress or {}).items():
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise JournalError(f"{self.path}: cannot write: {exc}") from None

    def records(self) -> Iterator[Record]:
        """Every record in order; JournalError names the first one that is damaged."""
        expected = 1
        try:
            cursor = self._db.execute("SELECT seq, body FROM records ORDER BY seq")
            for seq, body in cursor:
                if seq != expected:
                    raise JournalError(f"{self.path}: record {expected} is missing")
                try:
                    record = Record.from_dict(json.loads(body))
                except (ValueError, RecordError) as exc:
                    raise JournalError(f"{self.path}: record {seq} is damaged: {exc}") from None
                if record.seq != seq:
                    raise JournalError(f"{self.path}: record {seq} claims seq {record.seq}")
                yield record
                expected += 1
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.path}: cannot read: {exc}") from None

    def last_seq(self) -> int:
        row = self._db.execute("SELECT max(seq) FROM records").fetchone()
        return int(row[0] or 0)

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
