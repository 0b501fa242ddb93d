"""Audio speed benchmark (printed, never asserted): ``python -m tests.bench.bench_audio_speed``.

Per 10 ms frame, in the same run and on the same frames (noisy speech at 16 kHz):
1. the bare engine: `AudioProcessor.Process10ms` alone;
2. the uplink stage chain as the bridge runs it: meters, noise suppression (with the
   default mix), mute;
3. the whole device path: 48 kHz stereo capture buffer → resampler/rechunker → chain →
   resampler → 48 kHz playback buffer.
Goal: chain ≤ 1.3 × bare engine. Real-time factor = time per frame / 10 ms (one core).
Blocks of the three variants alternate and the median block is reported, so a busy
neighbour on a shared machine skews all three alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from firmware.audio.bridge import uplink_stages
from firmware.audio.frames import FRAME_SAMPLES, StreamFormat
from firmware.audio.noise import webrtc_engine
from firmware.audio.policy import (
    DEFAULT_GATE_DB,
    DEFAULT_NS_LEVEL,
    DEFAULT_NS_MIX,
    CallAudioSettings,
)
from firmware.audio.resample import CaptureConverter, PlaybackConverter
from firmware.audio.stages import MuteStage, StageChain


def frames_of_noisy_speech(n: int) -> list[bytes]:
    rng = np.random.default_rng(0)
    t = np.arange(n * FRAME_SAMPLES) / 16_000
    voice = 3000 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
    x = np.clip(voice + rng.normal(0, 800, t.size), -32768, 32767).astype(np.int16)
    return [x[i : i + FRAME_SAMPLES].tobytes() for i in range(0, x.size, FRAME_SAMPLES)]


def per_frame_us(fn: Callable[[bytes], object], frames: list[bytes]) -> float:
    start = time.perf_counter()
    for f in frames:
        fn(f)
    return (time.perf_counter() - start) / len(frames) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=2000, help="frames per block")
    ap.add_argument("--blocks", type=int, default=7, help="alternating blocks per variant")
    ap.add_argument("--level", type=int, default=DEFAULT_NS_LEVEL, help="suppression level")
    ap.add_argument("--mix", type=float, default=DEFAULT_NS_MIX, help="ns_mix")
    ap.add_argument("--gate", type=float, default=DEFAULT_GATE_DB, help="pause gate depth, dB")
    args = ap.parse_args()

    frames = frames_of_noisy_speech(args.frames)
    settings = CallAudioSettings(args.level, 0, 0, ns_mix=args.mix, gate_db=args.gate)
    bare = webrtc_engine(0, args.level)
    chain = StageChain(uplink_stages(settings, MuteStage()))
    chain.start()

    fmt = StreamFormat(48_000, 2)
    cap, play = CaptureConverter(fmt), PlaybackConverter(fmt, 480)
    device_buffers = [
        np.repeat(np.frombuffer(f, dtype=np.int16), 6).tobytes()  # crude 3× upsample, stereo
        for f in frames
    ]

    def device_path(buf: bytes) -> None:
        for f in cap.push(buf):
            play.push(chain.process(f))

    results: dict[str, list[float]] = {"bare": [], "chain": [], "device": []}
    for _ in range(args.blocks):
        results["bare"].append(per_frame_us(bare.Process10ms, frames))
        results["chain"].append(per_frame_us(chain.process, frames))
        results["device"].append(per_frame_us(device_path, device_buffers))
    med = {k: statistics.median(v) for k, v in results.items()}

    print(
        f"noise suppression level {args.level}, mix {args.mix:g}, "
        f"{args.blocks} × {args.frames} frames of 10 ms"
    )
    print(f"{'variant':<34}{'µs/frame':>10}{'× bare':>9}{'RTF':>10}")
    names = {
        "bare": "bare AudioProcessor.Process10ms",
        "chain": "uplink stage chain (16 kHz)",
        "device": "device path 48 kHz stereo",
    }
    for key, label in names.items():
        us = med[key]
        print(f"{label:<34}{us:>10.1f}{us / med['bare']:>9.2f}{us / 10_000:>10.4f}")
    ok = med["chain"] <= 1.3 * med["bare"]
    print(f"goal chain ≤ 1.3 × bare: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
