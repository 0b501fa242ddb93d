"""`deskgate run`: the gateway service (what systemd starts), or the whole simulated board."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware.errors import CommandError

if TYPE_CHECKING:
    from firmware.service.app import Service

log = logging.getLogger("deskgate.service")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="run the gateway service (or the simulated board)",
        description=(
            "Run the gateway: headsets, ACD core and journal, indicators, state button, audio "
            "and the management console, until SIGTERM. On the simulated board (--board sim, "
            "no hardware, no configuration file needed) a terminal shows a live dashboard "
            "with keyboard-driven headsets; without a terminal it runs headless, driven by a "
            "traffic generator and scripted agents.\n\n"
            "examples:\n"
            "  deskgate run                                  # the simulated board\n"
            "  deskgate run --board rpi4 --config /etc/deskgate/site.toml\n"
            "  deskgate run --board sim --console /dev/pts/7 --state-dir /tmp/gw --headless"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="site TOML (default: the board's, if any)")
    p.add_argument("--board", default="sim", help="board under board/ (default: sim)")
    p.add_argument("--console", help="serial port or pyserial URL of the console ('' = none)")
    p.add_argument(
        "--state-dir",
        help="journal, token and last good config (default: "
        "$STATE_DIRECTORY, else ~/.local/state/deskgate)",
    )
    p.add_argument("--no-audio", action="store_true", help="do not start the audio bridge")
    sim = p.add_argument_group("simulated board")
    sim.add_argument("--headless", action="store_true", help="no dashboard even on a terminal")
    sim.add_argument(
        "--traffic",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="mean gap between simulated calls, in core seconds (0 = no traffic)",
    )
    sim.add_argument("--no-agents", action="store_true", help="no scripted agents (headless)")
    sim.add_argument("--speed", type=float, default=1.0, help="core seconds per real second")
    sim.add_argument("--seed", type=int, default=7, help="seed of the traffic and agents")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from firmware.service.app import Options, Service, ServiceError
    from firmware.service.logs import setup_logging

    interactive = not args.headless and sys.stdin.isatty() and sys.stdout.isatty()
    if args.speed <= 0:
        raise CommandError("--speed must be positive", 2)
    logs = setup_logging(quiet=False)
    options = Options(
        board=args.board,
        config=args.config,
        console=args.console,
        state_dir=args.state_dir,
        audio=not args.no_audio,
        speed=args.speed,
    )
    service = Service(options, logs)
    try:
        service.setup()
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    extra: list[Any] = []
    if service.board.simulated:
        extra = _simulation(service, args, interactive)
        if interactive:
            setup_logging(quiet=True)  # the dashboard owns the terminal; logs go to the ring
    try:
        return asyncio.run(service.run(extra))
    except KeyboardInterrupt:
        return 130


def _simulation(service: Service, args: argparse.Namespace, interactive: bool) -> list[Any]:
    from firmware.phone.fake import FakePhoneLine
    from firmware.sim.dashboard import Dashboard, HeadlessLog
    from firmware.sim.desk import SimDesk

    if service.phone is None:  # no [phone] section: the simulated callers' line
        service.phone = FakePhoneLine()
    line = service.phone if isinstance(service.phone, FakePhoneLine) else None
    desk = SimDesk(service, seed=args.seed, speed=args.speed, line=line)
    extra: list[Any] = []

    async def start_desk() -> None:
        desk.start()
        if service.console_port:
            print(
                f"console: gwctl --port {service.console_port} status"
                f"    (technician token: {service.token})",
                file=sys.stderr if not interactive else sys.stdout,
                flush=True,
            )
        await asyncio.Event().wait()

    extra.append(start_desk)
    if args.traffic > 0:
        extra.append(lambda: desk.traffic(mean_gap=args.traffic))
    if interactive:
        dashboard = Dashboard(service, desk)

        async def dash() -> None:
            await dashboard.run()

        extra.append(dash)
    else:
        HeadlessLog(service)
        if not args.no_agents:
            desk.scripted_agents()
    service.sim_desk = desk
    return extra
