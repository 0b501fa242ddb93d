"""Streaming conversion between a device's stream format and 10 ms engine frames.

`StreamResampler` wraps soxr's streaming resampler (one filter state per stream, int16 in and
out, no per-frame re-initialisation). `CaptureConverter` turns device capture buffers of any
size, rate and channel count into exact engine frames; `PlaybackConverter` turns engine
frames back into exact device-sized buffers. Both report how many samples they hold, which is
part of the latency the bridge reports.

soxr output is time-aligned with its input: the filter delay shows up as output held back
(`pending`), not as a shift of the signal, so a drained conversion adds no signal delay.
"""

from __future__ import annotations

import numpy as np
import soxr

from firmware.audio.frames import (
    ENGINE_RATE,
    FRAME_BYTES,
    Rechunker,
    SampleAligner,
    Samples,
    StreamFormat,
    as_samples,
    downmix,
    upmix,
)

# soxr's streaming filters hold back output: measured on 10 ms chunks at 48k<->16k, LQ holds
# 11 ms on average (20 ms at most), MQ and HQ about 21 ms (37 ms). LQ is flat to 6 kHz
# (-0.3 dB), -13 dB at 7 kHz, and rejects aliases by > 80 dB: enough for 16-bit wideband
# speech, at half the latency. Best of all is a device opened at 16 kHz: no resampler at all.
DEFAULT_QUALITY = "LQ"
_EMPTY: Samples = np.zeros(0, dtype=np.int16)


class StreamResampler:
    """Resamples one mono int16 stream from `in_rate` to `out_rate`, chunk by chunk.

    Equal rates pass the samples through untouched. Raises `ValueError` (from soxr) for an
    unknown quality name.
    """

    def __init__(self, in_rate: int, out_rate: int, quality: str = DEFAULT_QUALITY) -> None:
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._soxr = (
            None
            if in_rate == out_rate
            else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality=quality)
        )

    @property
    def pending(self) -> float:
        """Output samples held inside the filter (0 when the rates are equal)."""
        return 0.0 if self._soxr is None else float(self._soxr.delay())

    def process(self, x: Samples) -> Samples:
        if self._soxr is None:
            return x
        out: Samples = self._soxr.resample_chunk(x)
        return out

    def flush(self) -> Samples:
        """Drain what the filter holds (the stream ends here; call `reset` to reuse it)."""
        if self._soxr is None:
            return _EMPTY
        out: Samples = self._soxr.resample_chunk(_EMPTY, last=True)
        return out

    def reset(self) -> None:
        if self._soxr is not None:
            self._soxr.clear()


class CaptureConverter:
    """Device capture buffers (any size, rate, channels) → exact 320-byte engine frames.

    Order of work: align to whole sample frames, downmix to mono, resample to 16 kHz, cut
    into 10 ms frames. Raises `FormatError` only for a malformed format at construction.
    """

    def __init__(self, fmt: StreamFormat, quality: str = DEFAULT_QUALITY) -> None:
        self.format = fmt
        self._align = SampleAligner(fmt.frame_bytes)
        self._resampler = StreamResampler(fmt.rate, ENGINE_RATE, quality)
        self._chunks = Rechunker(FRAME_BYTES)

    @property
    def pending(self) -> float:
        """Engine-rate samples held back (resampler plus partial frame)."""
        return (
            self._resampler.pending
            + self._chunks.pending / 2
            + self._align.pending / (self.format.frame_bytes * self.format.rate / ENGINE_RATE)
        )

    def push(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        whole = self._align.push(data)
        if not whole:
            return []
        mono = downmix(as_samples(whole), self.format.channels)
        return self._chunks.push(self._resampler.process(mono).tobytes())

    def flush(self) -> list[bytes]:
        """Drain everything held, padding the last frame with zeros."""
        frames = self._chunks.push(self._resampler.flush().tobytes())
        return frames + self._chunks.flush()

    def reset(self) -> None:
        self._align.reset()
        self._resampler.reset()
        self._chunks.reset()


class PlaybackConverter:
    """Engine frames → device playback buffers of exactly `chunk_frames` sample frames.

    Order of work: resample to the device rate, copy to every channel, cut into buffers of the
    size the device asks for.
    """

    def __init__(self, fmt: StreamFormat, chunk_frames: int, quality: str = DEFAULT_QUALITY):
        self.format = fmt
        self.chunk_frames = chunk_frames
        self._resampler = StreamResampler(ENGINE_RATE, fmt.rate, quality)
        self._chunks = Rechunker(chunk_frames * fmt.frame_bytes, fmt.frame_bytes)

    @property
    def pending(self) -> float:
        """Device-rate sample frames held back (resampler plus partial buffer)."""
        return self._resampler.pending + self._chunks.pending / self.format.frame_bytes

    def push(self, frame: bytes) -> list[bytes]:
        out = upmix(self._resampler.process(as_samples(frame)), self.format.channels)
        return self._chunks.push(out.tobytes())

    def flush(self) -> list[bytes]:
        tail = upmix(self._resampler.flush(), self.format.channels)
        return self._chunks.push(tail.tobytes()) + self._chunks.flush()

    def reset(self) -> None:
        self._resampler.reset()
        self._chunks.reset()
