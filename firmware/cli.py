"""The `deskgate` command line: one table of sub-commands, each in its own module.

Every module listed in COMMANDS provides `register(subparsers)`, which adds its parser and sets
`func` (taking the parsed arguments, returning an exit status). Errors a user can fix are raised
as `CommandError` and printed as `deskgate: <message>` with exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from firmware import __version__
from firmware.errors import CommandError

# (module, one-line summary) — the order is the order shown by `deskgate --help`.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("firmware.commands.run", "run the gateway service (or the whole simulated board)"),
    ("firmware.commands.demo", "replay an example agent day with a live timeline"),
    ("firmware.commands.replay", "run an event script through the ACD core"),
    ("firmware.commands.journal", "inspect a journal database"),
    ("firmware.commands.stats", "service level and abandon rate per queue, from a journal"),
    ("firmware.commands.audio", "audio path: devices, live levels, noise suppression on WAVs"),
    ("firmware.commands.hid", "USB headsets: list, monitor, describe, replay the handshake"),
    ("firmware.commands.leds", "indicators: light every LED and busylight in turn, or show them"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskgate",
        description=(
            "deskgate: the desk gateway between USB telephony headsets and the phone side.\n"
            "Run `deskgate COMMAND --help` for what each command does, with examples."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"deskgate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name, _summary in COMMANDS:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.func(args)
        return status
    except CommandError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"deskgate: {exc}", file=sys.stderr)
        return exc.status
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
