"""`deskgate stats`: service level and abandon rate per queue, recomputed from a journal.

`stats_from_journal` is the function `gwctl stats` calls (through the console or on a copied
journal): the same figures, as plain data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from firmware.acd.stats import queue_stats
from firmware.config import ConfigError, load_config
from firmware.errors import CommandError
from firmware.journal.store import Journal, JournalError

DEFAULT_THRESHOLD = 20.0

EPILOG = """\
Service level = calls answered within the threshold / calls answered; abandon rate = calls
whose caller hung up before an answer / calls offered (entered the queue). A call counts in
the queue it first entered. Everything comes from the journal, so the figures survive a
restart.

examples:
  deskgate stats day.sqlite
  deskgate stats day.sqlite --config site.toml          # threshold and queue list from it
  deskgate stats day.sqlite --threshold 30 --json
"""


def stats_from_journal(
    path: str | Path, threshold: float = DEFAULT_THRESHOLD, queues: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Per-queue figures of the journal at `path`, one dict per queue (JournalError if it
    cannot be read)."""
    with Journal(path, create=False) as journal:
        stats = queue_stats(journal.records(), threshold, queues)
    return [s.to_dict() for s in stats.values()]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "stats",
        help="service level and abandon rate per queue, from a journal",
        description="Service level and abandon rate per queue, recomputed from a journal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("journal", type=Path, metavar="JOURNAL", help="SQLite journal")
    p.add_argument("--config", type=Path, help="site configuration: threshold and queues")
    p.add_argument("--threshold", type=float, help="seconds (default: config, else 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def run(args: argparse.Namespace) -> int:
    queues: tuple[str, ...]
    threshold, queues = DEFAULT_THRESHOLD, ()
    if args.config is not None:
        try:
            acd = load_config(args.config).acd
        except ConfigError as exc:
            raise CommandError(str(exc), status=2) from None
        threshold, queues = acd.service_level_threshold, tuple(q.name for q in acd.queues)
    if args.threshold is not None:
        if args.threshold <= 0:
            raise CommandError("--threshold must be a number of seconds > 0", status=2)
        threshold = args.threshold
    try:
        rows = stats_from_journal(args.journal, threshold, queues)
    except JournalError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        json.dump({"threshold": threshold, "queues": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"service level threshold: {threshold:g} s")
    header = ("queue", "offered", "answered", "in SL", "abandoned", "service level", "abandon")
    print("{:<16}{:>9}{:>10}{:>7}{:>11}{:>15}{:>9}".format(*header))
    for r in rows:
        print(
            f"{r['queue']:<16}{r['offered']:>9}{r['answered']:>10}{r['answered_within']:>7}"
            f"{r['abandoned']:>11}{_percent(r['service_level']):>15}"
            f"{_percent(r['abandon_rate']):>9}"
        )
    return 0
