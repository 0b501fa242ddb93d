"""`deskgate leds test` and `deskgate leds show`: check a board's indicators by hand.

`test` lights every indicator in turn, in every colour it stands for, then darkens it;
`show` prints what each indicator shows now (LED class LEDs are read back from sysfs;
busylights and GPIO lines are write-only, so for them it says whether the device is there).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable

from firmware.config import ConfigError, load_config
from firmware.errors import CommandError
from firmware.indicators.board import BoardError, BuildContext, build_indicators, load_board
from firmware.indicators.driver import IndicatorDriver
from firmware.indicators.indicator import Indicator, IndicatorGone
from firmware.indicators.patterns import Color, Pattern

COLOR_ORDER = (Color.GREEN, Color.AMBER, Color.RED)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "leds",
        help="test the board's LEDs and busylights, or show what they show",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  deskgate leds test --board rpi4 --dwell 2\n"
        "  deskgate leds show --board rpi4 --json",
    )
    leds = parser.add_subparsers(dest="leds_command", metavar="ACTION", required=True)
    for name, func, summary in (
        ("test", _test, "light every indicator in turn, in each of its colours"),
        ("show", _show, "print what each indicator shows now"),
    ):
        sub = leds.add_parser(name, help=summary, description=summary)
        sub.add_argument("--board", default="sim", help="board under board/ (default: sim)")
        sub.add_argument("--config", help="gateway TOML file ([indicators] busylight)")
        sub.set_defaults(func=func)
        if name == "test":
            sub.add_argument(
                "--dwell",
                type=float,
                default=1.0,
                help="seconds each colour stays lit (default: 1)",
            )
        else:
            sub.add_argument("--json", action="store_true", help="one JSON object per line")


def _indicators(args: argparse.Namespace) -> list[Indicator]:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        raise CommandError(str(exc), status=2) from None
    try:
        board = load_board(args.board)
        return build_indicators(
            board, BuildContext(busylight=config.indicators.busylight, clock=time.monotonic)
        )
    except BoardError as exc:
        raise CommandError(str(exc), status=2) from None


def run_test(
    indicators: list[Indicator],
    dwell: float,
    out: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Light each indicator in each of its colours for `dwell` seconds (ticking, so software
    blinks and keep-alives run), then darken it. Returns the names that were unavailable."""
    gone: list[str] = []
    for indicator in indicators:
        try:
            indicator.show(Pattern.off(), clock())
            for color in (c for c in COLOR_ORDER if c in indicator.colors):
                indicator.show(Pattern(color), clock())
                out(
                    f"{indicator.name:<12} {indicator.backend:<10} {color.value} — "
                    f"{indicator.readback()}"
                )
                end = clock() + dwell
                while (now := clock()) < end:
                    next_at = indicator.tick(now)
                    wait = end - now if next_at is None else min(end, next_at) - now
                    sleep(max(0.0, min(wait, 0.1)))
            indicator.show(Pattern.off(), clock())
            out(f"{indicator.name:<12} {indicator.backend:<10} off")
        except IndicatorGone as exc:
            out(f"{indicator.name:<12} {indicator.backend:<10} UNAVAILABLE: {exc}")
            gone.append(indicator.name)
    return gone


def _test(args: argparse.Namespace) -> int:
    if args.dwell < 0:
        raise CommandError("--dwell must be 0 or more seconds", status=2)
    indicators = _indicators(args)
    if not indicators:
        raise CommandError(f"board {args.board!r} has no indicators")
    try:
        gone = run_test(indicators, args.dwell, print)
    finally:
        for indicator in indicators:
            with contextlib.suppress(OSError, IndicatorGone):
                indicator.close()
    if gone:
        raise CommandError(
            f"{len(gone)} of {len(indicators)} indicators unavailable: {', '.join(gone)}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    driver = IndicatorDriver(_indicators(args), report=lambda message: None)
    try:
        for status in driver.statuses():
            if args.json:
                print(
                    json.dumps(
                        {
                            "name": status.name,
                            "backend": status.backend,
                            "shows": status.shows,
                        }
                    )
                )
            else:
                print(f"{status.name:<12} {status.backend:<10} {status.shows}")
    finally:
        driver.close()
    sys.stdout.flush()
    return 0
