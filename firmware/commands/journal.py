"""`deskgate journal`: read a journal database (dump its records, show the state it implies)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from firmware.acd.state import state_hash
from firmware.config import ConfigError, load_config
from firmware.errors import CommandError
from firmware.journal.recovery import rebuild
from firmware.journal.store import Journal, JournalError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "journal",
        help="inspect a journal database",
        description="Inspect a journal database written by `deskgate replay --journal` or "
        "the gateway service. Nothing here writes to it.",
    )
    jsub = p.add_subparsers(dest="journal_command", metavar="ACTION", required=True)
    dump = jsub.add_parser(
        "dump",
        help="print every record as JSON lines",
        description="Print every record as JSON lines, in the format `deskgate replay` prints.",
    )
    dump.add_argument("path", type=Path, metavar="PATH")
    dump.set_defaults(func=run_dump)
    st = jsub.add_parser(
        "state",
        help="print the agents, calls and queues the journal leads to",
        description="Rebuild the ACD state from the journal (as a restart does, without "
        "cancelling anything) and print it as JSON with its digest.",
    )
    st.add_argument("path", type=Path, metavar="PATH")
    st.add_argument("--config", required=True, type=Path, help="the configuration it ran with")
    st.set_defaults(func=run_state)


def run_dump(args: argparse.Namespace) -> int:
    try:
        with Journal(args.path, create=False) as journal:
            for record in journal.records():
                sys.stdout.write(record.to_json() + "\n")
    except JournalError as exc:
        raise CommandError(str(exc)) from None
    return 0


def run_state(args: argparse.Namespace) -> int:
    try:
        params = load_config(args.config).acd.to_params()
        with Journal(args.path, create=False) as journal:
            state = rebuild(params, journal.records())
    except ConfigError as exc:
        raise CommandError(str(exc), status=2) from None
    except JournalError as exc:
        raise CommandError(str(exc)) from None
    view = {
        "seq": state.seq,
        "t": state.now,
        "hash": state_hash(state),
        "agents": {a.id: a.view() for a in state.agents.values()},
        "waiting": {q.name: [rank[2] for rank in q.waiting] for q in state.queues.values()},
    }
    json.dump(view, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0
