"""`gwctl`: the technician's tool for a deskgate gateway, over its serial console.

One table of commands (`COMMANDS`), each with its own parser and function. Data goes to
stdout, diagnostics to stderr; `--json` on every read command prints machine-readable output;
progress is shown only on a terminal. Errors print `gwctl: <message>` and exit 1 (`--debug`
shows the traceback); usage errors exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import tomllib
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from host_tools.gwctl import render
from host_tools.gwctl.diag import write_diag
from host_tools.gwctl.link import Link, LinkError, connect
from host_tools.gwctl.ports import candidate_ports
from host_tools.installer import bmap as flash_cmd
from host_tools.installer import provision as provision_cmd
from host_tools.installer import update as update_cmd

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad arguments found after parsing (exit 2)."""


def _link(args: argparse.Namespace) -> Link:
    port = args.port or os.environ.get("GWCTL_PORT")
    if not port:
        ports = candidate_ports()
        if not ports or not ports[0].gateway:
            raise LinkError(
                "no gateway port found: give --port (a device, a pyserial URL or unix:PATH), "
                "or set GWCTL_PORT; `gwctl ports` lists candidates"
            )
        port = ports[0].device
    token = args.token or os.environ.get("GWCTL_TOKEN")
    return connect(port, token, args.timeout)


def _out(args: argparse.Namespace, data: Any, human: Callable[[Any], str]) -> int:
    if getattr(args, "json", False):
        print(json.dumps(data, sort_keys=True))
    else:
        print(human(data))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        return _out(args, link.call("status"), render.status)
    finally:
        link.close()


def cmd_watch(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        link.call("watch")
        watch_id = link.last_id
        if sys.stderr.isatty() and not args.json:
            print("watching; Ctrl-C to stop", file=sys.stderr)
        n = 0
        try:
            for event in link.events(watch_id, args.duration):
                print(json.dumps(event) if args.json else render.event(event), flush=True)
                n += 1
                if args.count and n >= args.count:
                    break
        except KeyboardInterrupt:
            pass
        with contextlib.suppress(LinkError):
            link.send("unwatch")
        return 0
    finally:
        link.close()


def cmd_state(args: argparse.Namespace) -> int:
    if args.reason and args.status != "withdrawn":
        raise UsageError("--reason applies to 'withdrawn' only")
    link = _link(args)
    try:
        request = {"agent": args.agent, "status": args.status}
        if args.reason:
            request["reason"] = args.reason
        result = link.call("state", request)
        print(render.state(result))
        return 0
    finally:
        link.close()


def cmd_hid(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        return _out(args, link.call("hid_list"), render.headsets)
    finally:
        link.close()


def cmd_leds(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        result = link.call("leds_test")
        print("lighting in turn: " + ", ".join(result["steps"]) + "; then back to the state")
        return 0
    finally:
        link.close()


def cmd_audio(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        return _out(args, link.call("audio_levels"), render.audio)
    finally:
        link.close()


def cmd_config_get(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        result = link.call("config_get", {"key": args.key or ""})
        return _out(args, result["value"], render.config_value)
    finally:
        link.close()


def parse_value(text: str) -> Any:
    """TOML syntax when it parses (`30`, `true`, `["a"]`), else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def cmd_config_set(args: argparse.Namespace) -> int:
    link = _link(args)
    try:
        result = link.call("config_set", {"key": args.key, "value": parse_value(args.value)})
        print(f"{result['key']} = {json.dumps(result['value'])} ({result['applied']})")
        return 0
    finally:
        link.close()


def parse_since(text: str | None) -> float:
    """Epoch seconds, or a duration ago: `90s`, `10m`, `2h`, `1d`."""
    if not text:
        return 0.0
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if text[-1] in units:
            return time.time() - float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError:
        raise UsageError(f"--since {text!r}: give epoch seconds or a duration (10m, 2h)") from None


def cmd_logs(args: argparse.Namespace) -> int:
    since = parse_since(args.since)
    link = _link(args)
    try:
        lines = link.call("logs", {"since": since})
        if args.json:
            for line in lines:
                print(json.dumps(line, sort_keys=True))
        else:
            for line in lines:
                print(render.log_line(line))
        return 0
    finally:
        link.close()


def cmd_diag(args: argparse.Namespace) -> int:
    progress = sys.stderr.isatty()
    link = _link(args)
    try:
        if progress:
            print("collecting diagnostics from the gateway…", file=sys.stderr)
        data = link.call("diag")
    finally:
        link.close()
    write_diag(args.out, data, link.port)
    if progress:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_ports(args: argparse.Namespace) -> int:
    ports = candidate_ports()
    data = [p.__dict__ for p in ports]
    return _out(args, data, render.ports)


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _args_watch(p: argparse.ArgumentParser) -> None:
    _json(p)
    p.add_argument("--count", type=int, default=0, help="stop after N events")
    p.add_argument("--duration", type=float, help="stop after SECONDS")


def _args_state(p: argparse.ArgumentParser) -> None:
    p.add_argument("agent")
    p.add_argument("status", choices=("ready", "withdrawn", "unavailable"))
    p.add_argument("--reason", help="withdrawal reason (break, debrief, …)")


def _what(*choices: str, json: bool = True) -> Callable[[argparse.ArgumentParser], None]:
    def add(p: argparse.ArgumentParser) -> None:
        p.add_argument("what", choices=choices)
        if json:
            _json(p)

    return add


def _args_logs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", help="epoch seconds or a duration ago (10m, 2h)")
    _json(p)


def _args_diag(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="OUT.tar.gz")


def _no_args(p: argparse.ArgumentParser) -> None:
    pass


# (name, help, function, argument adder) — the order of `gwctl --help`. `config` has
# sub-commands of its own (see `_config_parsers`).
COMMANDS: tuple[tuple[str, str, Handler, Callable[[argparse.ArgumentParser], None]], ...] = (
    ("status", "agents, queues, calls and indicators", cmd_status, _json),
    ("watch", "live events until Ctrl-C", cmd_watch, _args_watch),
    ("state", "set an agent's status (origin supervisor; needs the token)", cmd_state, _args_state),
    ("hid", "headsets: `gwctl hid list`", cmd_hid, _what("list")),
    (
        "leds",
        "indicators: `gwctl leds test` (needs the token)",
        cmd_leds,
        _what("test", json=False),
    ),
    ("audio", "audio: `gwctl audio levels`", cmd_audio, _what("levels")),
    ("config", "configuration: get [KEY] | set KEY VALUE", cmd_status, _no_args),
    ("logs", "the gateway's recent log lines", cmd_logs, _args_logs),
    (
        "diag",
        "write a diagnostics archive (config without secrets, journal tail, …)",
        cmd_diag,
        _args_diag,
    ),
    ("ports", "list candidate serial ports (gateway first)", cmd_ports, _json),
    ("flash", flash_cmd.HELP, flash_cmd.run, flash_cmd.add_arguments),
    ("provision", provision_cmd.HELP, provision_cmd.run, provision_cmd.add_arguments),
    ("update", update_cmd.HELP, update_cmd.run, update_cmd.add_arguments),
)


def _config_parsers(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", metavar="get|set", required=True)
    g = sub.add_parser("get", help="show the configuration, or one dotted KEY")
    g.add_argument("key", nargs="?")
    _json(g)
    g.set_defaults(func=cmd_config_get)
    s = sub.add_parser("set", help="change one KEY (validated; needs the token)")
    s.add_argument("key")
    s.add_argument("value", help='TOML syntax (30, true, "text") or plain text')
    s.set_defaults(func=cmd_config_set)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gwctl",
        description="Talk to a deskgate gateway over its serial console (or local socket).",
    )
    parser.add_argument("--port", help="device, pyserial URL or unix:PATH (or $GWCTL_PORT)")
    parser.add_argument("--token", help="technician token for changes (or $GWCTL_TOKEN)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait per answer")
    parser.add_argument("--debug", action="store_true", help="show the traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text, func, add in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "config":
            _config_parsers(p)
            continue
        add(p)
        p.set_defaults(func=func)
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
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"gwctl: {exc}", file=sys.stderr)
        return 2
    except LinkError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"gwctl: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
