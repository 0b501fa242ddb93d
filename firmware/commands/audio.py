"""`deskgate audio`: list sound devices, watch live levels, run a WAV through the uplink chain."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from firmware.audio.backend import AudioBackend, AudioDeviceError, describe_devices, open_backend
from firmware.audio.policy import NoisePolicy, PolicyError, SitePolicy
from firmware.config import ConfigError, load_config
from firmware.config.audio import AudioConfig
from firmware.errors import CommandError

EPILOG = """\
sub-commands:
  devices   sound devices PortAudio sees (name, ALSA id, channels, default rate)
  levels    live levels of the configured devices: mic, line (after noise suppression),
            far end, voice activity, overruns/underruns and latency
  process   run a WAV file through the same chain as the live uplink (resampler, noise
            suppression, AGC) and write the result at the input's rate and channels

Devices and the site policy come from the [audio] section of --config (see docs/audio.md).

examples:
  deskgate audio devices --json
  deskgate audio levels --config site.toml --seconds 10
  deskgate audio process noisy.wav clean.wav --ns-level 3
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "audio",
        help="audio path: devices, live levels, process a WAV through noise suppression",
        description="The audio bridge between the headset and the phone side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hs = p.add_subparsers(dest="audio_command", metavar="SUBCOMMAND", required=True)

    dp = hs.add_parser("devices", help="sound devices found")
    dp.add_argument("--config", type=Path, help="gateway configuration (for [audio].backend)")
    dp.add_argument("--json", action="store_true", help="one JSON object per device")
    dp.set_defaults(func=run_devices)

    lp = hs.add_parser("levels", help="live meters of the configured bridge (Ctrl-C ends)")
    lp.add_argument("--config", type=Path, help="gateway configuration ([audio] section)")
    lp.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = never)")
    lp.add_argument("--interval", type=float, default=0.5, help="seconds between readings")
    lp.add_argument("--json", action="store_true", help="one JSON object per reading")
    lp.set_defaults(func=run_levels)

    pp = hs.add_parser("process", help="run a WAV file through the uplink stage chain")
    pp.add_argument("input", type=Path, metavar="IN.wav")
    pp.add_argument("output", type=Path, metavar="OUT.wav")
    pp.add_argument("--config", type=Path, help="take the site policy from this configuration")
    pp.add_argument(
        "--ns-level",
        type=int,
        metavar="N",
        help="noise suppression 0 (off) to 4 (strongest); default: the site policy (1)",
    )
    pp.add_argument("--agc", type=int, metavar="DBFS", help="AGC target 1–31 dBFS (0 = off)")
    pp.add_argument(
        "--ns-mix",
        type=float,
        metavar="F",
        help="share of suppressed signal sent, the rest the original (0 < F ≤ 1; default 0.5)",
    )
    pp.add_argument(
        "--pause-gate",
        type=float,
        metavar="DB",
        help="lower the audio by DB between words (typing in the pauses; 0 = off, the "
        "default; 15 for an open-plan floor): hear it on a recording before turning it on",
    )
    pp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    pp.set_defaults(func=run_process)


def _config(path: Path | None) -> AudioConfig:
    try:
        return load_config(path).audio
    except ConfigError as exc:
        raise CommandError(str(exc), 2) from None


def make_backend(kind: str) -> AudioBackend:
    """The backend the configuration names; a seam tests replace."""
    try:
        return open_backend(kind)
    except AudioDeviceError as exc:
        raise CommandError(f"{exc} — is the sound card driver loaded?") from None


def run_devices(args: argparse.Namespace) -> int:
    backend = make_backend(_config(args.config).backend)
    try:
        devices = backend.devices()
        defaults = {
            direction: getattr(backend.default_device(direction), "index", None)
            for direction in ("input", "output")
        }
    finally:
        backend.close()
    if args.json:
        for d in devices:
            row = {
                "index": d.index,
                "name": d.name,
                "alsa_id": d.alsa_id,
                "inputs": d.max_input_channels,
                "outputs": d.max_output_channels,
                "default_rate": d.default_rate,
                "host_api": d.host_api,
                "default_input": defaults["input"] == d.index,
                "default_output": defaults["output"] == d.index,
            }
            print(json.dumps(row, separators=(",", ":")))
    elif devices:
        print(describe_devices(devices))
    if not devices:
        print("deskgate: no sound devices found (no sound card, or no access)", file=sys.stderr)
    return 0


def run_levels(args: argparse.Namespace) -> int:
    from firmware.audio.bridge import AudioBridge

    cfg = _config(args.config)
    backend = make_backend(cfg.backend)
    bridge = AudioBridge.from_config(cfg, backend)
    try:
        bridge.start()
    except AudioDeviceError as exc:
        backend.close()
        raise CommandError(str(exc)) from None
    tty = sys.stdout.isatty() and not args.json
    end = time.monotonic() + args.seconds if args.seconds > 0 else None
    try:
        while end is None or time.monotonic() < end:
            time.sleep(max(0.05, args.interval))
            s = bridge.stats()
            row: dict[str, Any] = {
                "mic_dbfs": s.mic_dbfs,
                "line_dbfs": s.line_dbfs,
                "far_dbfs": s.far_dbfs,
                "talking": s.talking,
                "ns_level": s.settings.ns_level,
                "noise_active": s.noise_active,
                "overruns": s.uplink.overruns + s.downlink.overruns,
                "underruns": s.uplink.underruns + s.downlink.underruns,
                "latency_ms": s.uplink.latency_ms,
            }
            if args.json:
                print(json.dumps(row, separators=(",", ":")), flush=True)
            else:
                line = (
                    f"mic {_bar(s.mic_dbfs)} {s.mic_dbfs:6.1f}  line {_bar(s.line_dbfs)} "
                    f"{s.line_dbfs:6.1f}  far {s.far_dbfs:6.1f} dBFS  "
                    f"{'TALK' if s.talking else '    '}  xruns {row['overruns']}/"
                    f"{row['underruns']}  {s.uplink.latency_ms:5.1f} ms"
                )
                print(("\r" + line) if tty else line, end="" if tty else "\n", flush=True)
    finally:
        bridge.stop()
        backend.close()
        if tty:
            print()
    return 0


def _bar(dbfs: float, width: int = 12) -> str:
    filled = max(0, min(width, round((dbfs + 60.0) / 60.0 * width)))
    return "#" * filled + "." * (width - filled)


def run_process(args: argparse.Namespace) -> int:
    from firmware.audio.offline import process_samples
    from firmware.audio.wavio import WavError, read_wav, write_wav

    policy = _config(args.config).policy() if args.config else NoisePolicy()
    try:
        if args.ns_level is not None:
            level = args.ns_level or policy.level
            policy = replace(policy, suppression=args.ns_level > 0, level=level)
        if args.agc is not None:
            policy = replace(policy, agc_dbfs=args.agc)
        if args.ns_mix is not None:
            policy = replace(policy, mix=args.ns_mix)
        if args.pause_gate is not None:
            policy = replace(policy, gate_db=args.pause_gate)
    except PolicyError as exc:
        raise CommandError(str(exc), 2) from None
    settings = SitePolicy(policy).settings_for_new_call()
    try:
        wav = read_wav(args.input)
    except WavError as exc:
        raise CommandError(str(exc), 2) from None
    result = process_samples(wav.samples, wav.format, settings)
    try:
        write_wav(args.output, result.samples, wav.format)
    except WavError as exc:
        raise CommandError(str(exc)) from None
    rate = wav.format.rate
    report = {
        "input": str(args.input),
        "output": str(args.output),
        "rate": rate,
        "channels": wav.format.channels,
        "frames": wav.frames,
        "ns_level": settings.ns_level,
        "agc_dbfs": settings.agc_dbfs,
        "ns_mix": settings.ns_mix,
        "pause_gate_db": settings.gate_db,
        "delay_samples": result.delay,
        "delay_ms": round(1000.0 * result.delay / rate, 3),
        "engine_fault": result.engine_fault,
    }
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    else:
        print(
            f"{args.output}: {wav.frames} frames, {rate} Hz, {wav.format.channels} ch, "
            f"noise suppression level {settings.ns_level} (mix {settings.ns_mix:g}), "
            f"AGC {settings.agc_dbfs or 'off'}, "
            f"pause gate {f'{settings.gate_db:g} dB' if settings.gate_db else 'off'}"
        )
        print(f"delay: {result.delay} samples ({report['delay_ms']} ms)")
    if result.engine_fault:
        print(
            f"deskgate: warning: {result.engine_fault}; audio passed unprocessed", file=sys.stderr
        )
    return 0
