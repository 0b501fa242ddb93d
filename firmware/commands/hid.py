"""`deskgate hid`: list and watch headsets, explain a descriptor, replay the handshake."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from firmware.config import ConfigError, load_config
from firmware.errors import CommandError
from firmware.hid.backend import DeviceGone, DeviceInfo, HidBackend
from firmware.hid.controls import find_telephony
from firmware.hid.descriptor import (
    DescriptorError,
    ReportDescriptor,
    parse_descriptor,
    parse_hex_text,
)
from firmware.hid.replay import ScriptError, run_script
from firmware.hid.report import ReportCodec, ReportError
from firmware.hid.seats import SeatMap
from firmware.hid.session import NotAHeadset, telephony_of

EPILOG = """\
sub-commands:
  list      headsets found, their telephony controls and seat (needs /dev/hidraw access)
  monitor   print decoded telephony inputs live, one JSON object per line (writes nothing)
  describe  print the telephony controls a descriptor file declares, as JSON
  replay    run the hook/mute handshake on a fake device built from a descriptor file

A descriptor FILE is hex bytes with `#` comment lines, e.g. the output of
  xxd -p /sys/class/hidraw/hidraw3/device/report_descriptor
Replay scripts and output lines follow DESIGN.md section 3 (see docs/hid.md).

examples:
  deskgate hid describe tests/data/hid/jabra_link_380c_0b0e-24c9.txt
  deskgate hid replay --descriptor tests/data/hid/jabra_link_380c_0b0e-24c9.txt script.jsonl
  deskgate hid list --config site.toml --json
"""


def _json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "hid",
        help="USB headsets: list, monitor, describe a descriptor, replay the handshake",
        description="USB telephony headsets over HID.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hs = p.add_subparsers(dest="hid_command", metavar="SUBCOMMAND", required=True)

    lp = hs.add_parser("list", help="headsets found, their controls and seat")
    lp.add_argument("--config", type=Path, help="gateway configuration (for [hid.seats])")
    lp.add_argument("--json", action="store_true", help="one JSON object per headset")
    lp.set_defaults(func=run_list)

    mp = hs.add_parser("monitor", help="print decoded telephony inputs live (Ctrl-C ends)")
    mp.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = never)")
    mp.set_defaults(func=run_monitor)

    dp = hs.add_parser("describe", help="the telephony controls of a descriptor file, as JSON")
    dp.add_argument("file", type=Path, metavar="FILE", help="descriptor as hex bytes")
    dp.add_argument(
        "--collections",
        action="store_true",
        help="also list the top-level collections and which one was selected",
    )
    dp.set_defaults(func=run_describe)

    rp = hs.add_parser("replay", help="run the handshake on a fake device")
    rp.add_argument("--descriptor", required=True, type=Path, metavar="FILE")
    rp.add_argument("script", type=Path, metavar="SCRIPT.jsonl")
    rp.add_argument("--echo-window", type=float, default=0.5, help="seconds (default 0.5)")
    rp.set_defaults(func=run_replay)


def make_backend() -> HidBackend:
    """The hardware backend; a seam tests replace."""
    try:
        from firmware.hid.hidraw_backend import HidrawBackend

        return HidrawBackend()
    except ImportError as exc:
        raise CommandError(f"HID support is not installed ({exc}); run `make run` once") from None


def read_descriptor_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such descriptor file", status=2) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read: {exc}", status=2) from None
    try:
        return parse_hex_text(text)
    except DescriptorError as exc:
        raise CommandError(f"{path}: {exc}", status=2) from None


def _parse(path: Path, data: bytes) -> ReportDescriptor:
    try:
        return parse_descriptor(data)
    except DescriptorError as exc:
        raise CommandError(f"{path}: not a usable report descriptor: {exc}", status=2) from None


def describe(desc: ReportDescriptor, collections: bool = False) -> dict[str, Any]:
    """The `hid describe` JSON object, exactly as DESIGN.md 3 gives it; with `collections`,
    also the top-level collections (an addition, so it is asked for)."""
    telephony = find_telephony(desc)
    out: dict[str, Any] = {
        "telephony": telephony is not None,
        "controls": [c.as_json() for c in telephony.controls] if telephony else [],
    }
    if collections:
        out["collections"] = [
            {
                "usage_page": c.usage.page if c.usage else None,
                "usage": c.usage.id if c.usage else None,
                "selected": telephony is not None and telephony.collection == c.index,
            }
            for c in desc.collections
            if c.parent is None
        ]
    return out


def run_describe(args: argparse.Namespace) -> int:
    desc = _parse(args.file, read_descriptor_file(args.file))
    print(json.dumps(describe(desc, args.collections)))
    return 0


def run_replay(args: argparse.Namespace) -> int:
    data = read_descriptor_file(args.descriptor)
    try:
        lines = args.script.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{args.script}: cannot read: {exc}", status=2) from None
    out = sys.stdout
    try:
        for obj in run_script(data, lines, args.echo_window):
            out.write(_json_line(obj) + "\n")
    except DescriptorError as exc:  # raised before any output
        raise CommandError(
            f"{args.descriptor}: not a usable report descriptor: {exc}", status=2
        ) from None
    except NotAHeadset as exc:  # raised before any output
        raise CommandError(f"{args.descriptor}: {exc}", status=2) from None
    except ScriptError as exc:
        out.flush()
        raise CommandError(f"{args.script}: {exc}", status=2) from None
    return 0


def _seats(config: Path | None) -> SeatMap:
    try:
        return SeatMap(load_config(config).hid.seats)
    except ConfigError as exc:
        raise CommandError(str(exc), status=2) from None


def _list_entry(backend: HidBackend, info: DeviceInfo, seats: SeatMap) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": info.path,
        "id": info.vid_pid,
        "product": info.product,
        "serial": info.serial,
        "port": info.port,
        "seat": seats.agent_for(info),
    }
    try:
        device = backend.open(info)
        try:
            telephony = telephony_of(device.report_descriptor())
        finally:
            device.close()
    except (DeviceGone, DescriptorError, NotAHeadset) as exc:
        entry["error"] = str(exc)
        entry["controls"] = []
        return entry
    entry["controls"] = [c.as_json() for c in telephony.controls]
    return entry


def run_list(args: argparse.Namespace) -> int:
    seats = _seats(args.config)
    backend = make_backend()
    entries = [_list_entry(backend, info, seats) for info in backend.enumerate()]
    if args.json:
        for entry in entries:
            print(_json_line(entry))
        return 0
    if not entries:
        print("no headsets with a Telephony collection found (is the user in group plugdev?)")
        return 0
    for e in entries:
        names = ", ".join(c["name"] for c in e["controls"]) or f"unusable: {e.get('error')}"
        seat = e["seat"] or "unseated"
        print(
            f"{e['path']}  {e['id']}  {e['product'] or '?'}  serial={e['serial'] or '-'}  "
            f"port={e['port'] or '-'}  seat={seat}"
        )
        print(f"    {names}")
    return 0


def run_monitor(args: argparse.Namespace) -> int:
    backend = make_backend()
    codecs = []
    for info in backend.enumerate():
        try:
            device = backend.open(info)
            codecs.append((info, device, ReportCodec(telephony_of(device.report_descriptor()))))
        except (DeviceGone, DescriptorError, NotAHeadset) as exc:
            print(f"deskgate: {info.path}: skipped: {exc}", file=sys.stderr)
    if not codecs:
        raise CommandError("no usable headset found")
    start = time.monotonic()
    last: dict[tuple[str, int], tuple[tuple[str, int], ...]] = {}
    while not args.seconds or time.monotonic() - start < args.seconds:
        for info, device, codec in codecs:
            try:
                data = device.read(1024, 20)
                values = codec.decode(data) if data else None
            except DeviceGone as exc:
                raise CommandError(str(exc)) from None
            except ReportError as exc:
                print(f"deskgate: {info.path}: {exc}", file=sys.stderr)
                continue
            if values is None or last.get((info.path, values.report_id)) == values.values:
                continue
            last[(info.path, values.report_id)] = values.values
            t = round(time.monotonic() - start, 3)
            print(
                _json_line(
                    {
                        "t": t,
                        "path": info.path,
                        "report_id": values.report_id,
                        **dict(values.values),
                    }
                ),
                flush=True,
            )
    return 0
