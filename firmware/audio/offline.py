"""Running recorded audio through the live uplink chain (`deskgate audio process`, benchmarks).

The same converters, stage list and engine as the bridge's uplink, fed in 10 ms device
buffers at the file's own rate and channel count; the output is written back in that format.
The output has the input's length and carries the signal delayed by `delay` samples: the
converters are drained at the end (soxr output is time-aligned), so the delay is the stages'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware.audio.bridge import uplink_stages
from firmware.audio.frames import ENGINE_RATE, FRAME_MS, Samples, StreamFormat
from firmware.audio.noise import EngineFactory, NoiseSuppressor, webrtc_engine
from firmware.audio.policy import CallAudioSettings
from firmware.audio.resample import CaptureConverter, PlaybackConverter
from firmware.audio.stages import MuteStage, StageChain


@dataclass(frozen=True)
class OfflineResult:
    """Processed interleaved samples (same format and length as the input), the signal
    delay added in input-rate samples, frames processed, and the engine fault if any."""

    samples: Samples
    delay: int
    frames: int
    engine_fault: str | None


def process_samples(
    samples: Samples,
    fmt: StreamFormat,
    settings: CallAudioSettings,
    engine_factory: EngineFactory = webrtc_engine,
    buffer_frames: int | None = None,
) -> OfflineResult:
    """Run interleaved int16 `samples` in format `fmt` through the uplink chain."""
    block = buffer_frames or fmt.frames_for_ms(FRAME_MS)
    capture = CaptureConverter(fmt)
    playback = PlaybackConverter(fmt, block)
    chain = StageChain(uplink_stages(settings, MuteStage(), engine_factory))
    chain.start()
    out: list[bytes] = []
    frames = 0
    step = block * fmt.channels
    raw = samples.astype("<i2").tobytes()
    step_bytes = step * 2
    for i in range(0, len(raw), step_bytes):
        for frame in capture.push(raw[i : i + step_bytes]):
            frames += 1
            out += playback.push(chain.process(frame))
    for frame in capture.flush():
        frames += 1
        out += playback.push(chain.process(frame))
    out += playback.flush()
    chain.stop()
    y = np.frombuffer(b"".join(out), dtype="<i2")
    n = samples.size
    result = np.zeros(n, dtype=np.int16)
    result[: min(n, y.size)] = y[:n]
    noise = chain.find("noise")
    fault = noise.fault if isinstance(noise, NoiseSuppressor) else None
    delay = round(chain.delay * fmt.rate / ENGINE_RATE)
    return OfflineResult(result, delay, frames, fault)
