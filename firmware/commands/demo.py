"""`deskgate demo`: an example agent day through the ACD core, as a readable live timeline."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Any

from firmware.acd.records import Record
from firmware.sim.agent_day import AgentDay

DESCRIBE: dict[str, Any] = {
    "CALL_ENQUEUED": lambda r: (
        f"{r['call']} waits in {r['queue']}"
        + (f" (priority {r['priority']})" if r["priority"] else "")
    ),
    "OFFER_STARTED": lambda r: f"{r['agent']}'s headset rings with {r['call']}",
    "OFFER_ENDED": lambda r: f"offer of {r['call']} to {r['agent']} ends {r['outcome']}",
    "CALL_CONNECTED": lambda r: f"{r['agent']} talks with {r['call']}",
    "CALL_ENDED": lambda r: f"{r['call']} ends ({r['reason']})",
    "CALL_OVERFLOW": lambda r: f"{r['call']} overflows ({r['reason']})",
    "STATUS_CHANGED": lambda r: (
        f"{r['agent']}: {r['from']} → {r['to']}"
        + (f" ({r['reason']}, {r['origin']})" if r["reason"] else "")
    ),
    "COUNTER_CHANGED": lambda r: f"{r['agent']}: failed offers {r['value']}",
    "HOOK_CHANGED": lambda r: f"{r['agent']} goes {'off' if r['off_hook'] else 'on'}-hook",
    "DEVICE_CHANGED": lambda r: (
        f"{r['agent']}'s headset " + ("plugged in" if r["connected"] else "unplugged")
    ),
    "LOGOUT_PENDING": lambda r: f"{r['agent']} logs out in {r['remaining']:g} s",
    "LOGOUT_DONE": lambda r: f"{r['agent']} logged out",
    "DIALED": lambda r: f"{r['agent']} dials {r['number']}",
    "REJECTED": lambda r: f"rejected: {r['error']} {r['detail']}",
}


def clock(t: float) -> str:
    t = int(t)
    return f"{t // 3600:02}:{t // 60 % 60:02}:{t % 60:02}"


def line(record: Record) -> str:
    return f"{clock(record.t)}  {DESCRIBE[record.type](record)}"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="replay an example agent day with a live timeline",
        description="Run a seeded example morning (four agents, two queues, a preview "
        "campaign) through the real ACD core and print what happens as a timeline. On a "
        "terminal it plays at --speed times real time; piped, it prints at once.",
    )
    p.add_argument("--speed", type=float, default=300.0, help="simulated seconds per second")
    p.add_argument("--seed", type=int, default=7, help="which day (the callers' random seed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    live = sys.stdout.isatty() and args.speed > 0
    counts: Counter[str] = Counter()
    last_t: float | None = None
    for happening, records in AgentDay(args.seed):
        for record in records:
            if live and last_t is not None and record.t > last_t:
                time.sleep(min((record.t - last_t) / args.speed, 2.0))
            last_t = record.t
            counts[record.type] += 1
            if record.type == "OFFER_ENDED":
                counts[record["outcome"]] += 1
            print(line(record), flush=live)
        del happening
    print(
        f"\nday over: {counts['CALL_ENQUEUED']} calls, {counts['ANSWERED']} answered, "
        f"{counts['NO_ANSWER']} rang out, {counts['CALL_OVERFLOW']} overflowed, "
        f"{counts['CALLER_ABANDONED']} abandoned while ringing"
    )
    return 0
