"""`deskgate replay`: run an event script through the ACD core and print the journal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from firmware.acd.records import Record
from firmware.config import ConfigError, load_config
from firmware.errors import CommandError
from firmware.journal.replay import replay
from firmware.journal.store import Journal, JournalError

EPILOG = """\
The script holds one JSON object per line, `t` (seconds, non-decreasing) and `event`:
  {"t":0, "event":"call_arrived", "call":"C1", "queue":"sales", "priority":0}
  {"t":4, "event":"hook", "agent":"A", "off_hook":true}
Every timer due up to each event fires first, and every timer left fires after the last one.
The journal is printed as JSON lines (seq, t, type, fields); a bad line becomes a REJECTED
record and the run goes on. Formats: docs/acd.md, docs/acd-calls.md (in-call rules, callbacks).

With --journal, each record is on disk before it is printed. Run the same command again
after a crash or power cut and it goes on where the journal ends.

examples:
  deskgate replay --config tests/data/acd/basic.toml tests/data/acd/01_answer.jsonl
  deskgate replay --config site.toml day.jsonl --journal day.sqlite
  deskgate replay --config site.toml day.jsonl | grep STATUS_CHANGED
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "replay",
        help="run an event script through the ACD core",
        description="Run an event script through the ACD core on a simulated clock.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", required=True, type=Path, help="gateway configuration (TOML)")
    p.add_argument("script", type=Path, metavar="EVENTS.jsonl", help="the event script")
    p.add_argument("--journal", type=Path, help="SQLite journal to write (and resume from)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        params = load_config(args.config).acd.to_params()
    except ConfigError as exc:
        raise CommandError(str(exc), status=2) from None
    if not args.script.is_file():
        raise CommandError(f"{args.script}: no such event script", status=2)
    out = sys.stdout

    def report(record: Record) -> None:
        out.write(record.to_json() + "\n")
        out.flush()

    try:
        if args.journal is None:
            replay(params, args.script, None, report)
        else:
            with Journal(args.journal) as journal:
                replay(params, args.script, journal, report)
    except JournalError as exc:
        raise CommandError(str(exc)) from None
    return 0
