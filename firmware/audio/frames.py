"""Engine frames and device stream formats: the pure framing core of the audio path.

The stages work on one fixed frame: 10 ms of 16-bit mono PCM at 16 kHz (320 bytes), which is
what the WebRTC engine takes. Devices deliver whatever they like (48 kHz, 44.1 kHz, stereo,
odd buffer sizes); `Rechunker` cuts any byte stream into exact-size chunks, and `downmix` /
`upmix` change the channel count. Resampling lives in `resample.py` (it needs soxr, which
this module must not import: see tests/test_purity.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

with warnings.catch_warnings():  # stdlib up to 3.12, the audioop-lts package from 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ENGINE_RATE = 16_000
FRAME_MS = 10
FRAME_SAMPLES = ENGINE_RATE * FRAME_MS // 1000  # 160
SAMPLE_BYTES = 2  # signed 16-bit little-endian everywhere
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_BYTES  # 320
SILENT_FRAME = bytes(FRAME_BYTES)

Samples = npt.NDArray[np.int16]


class FormatError(ValueError):
    """A stream format or buffer the audio path cannot handle (bad rate, channels, size)."""


@dataclass(frozen=True)
class StreamFormat:
    """The PCM format of one device stream: rate in Hz and interleaved channel count.

    Samples are always signed 16-bit little-endian. Raises `FormatError` for a rate outside
    8–192 kHz or a channel count outside 1–8.
    """

    rate: int
    channels: int = 1

    def __post_init__(self) -> None:
        if not 8_000 <= self.rate <= 192_000:
            raise FormatError(f"sample rate {self.rate} Hz is outside 8000–192000 Hz")
        if not 1 <= self.channels <= 8:
            raise FormatError(f"{self.channels} channels: expected 1 to 8")

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample frame (one sample of every channel)."""
        return self.channels * SAMPLE_BYTES

    def frames_for_ms(self, ms: float) -> int:
        """Sample frames in `ms` milliseconds, rounded to the nearest frame (at least 1)."""
        return max(1, round(self.rate * ms / 1000))

    def ms_for_frames(self, frames: float) -> float:
        return 1000.0 * frames / self.rate


ENGINE_FORMAT = StreamFormat(ENGINE_RATE, 1)


class Rechunker:
    """Turns a byte stream delivered in arbitrary pieces into chunks of exactly `chunk_bytes`.

    Nothing is lost or duplicated: the bytes pushed so far equal the chunks returned plus
    `pending` bytes held for the next chunk. `flush()` pads the held bytes with zeros to one
    last chunk. Raises `FormatError` if `chunk_bytes` is not a positive multiple of `align`.
    """

    def __init__(self, chunk_bytes: int, align: int = SAMPLE_BYTES) -> None:
        if chunk_bytes <= 0 or align <= 0 or chunk_bytes % align:
            raise FormatError(f"chunk size {chunk_bytes} is not a positive multiple of {align}")
        self.chunk_bytes = chunk_bytes
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back until the next chunk is complete (always < chunk_bytes)."""
        return len(self._buf)

    def push(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add `data`; return every chunk now complete, oldest first."""
        buf = self._buf
        n = self.chunk_bytes
        if not buf and len(data) == n:  # the common case: the device already delivers frames
            return [bytes(data)]
        buf += data
        if len(buf) < n:
            return []
        count = len(buf) // n
        out = [bytes(buf[i * n : (i + 1) * n]) for i in range(count)]
        del buf[: count * n]
        return out

    def flush(self) -> list[bytes]:
        """Return the held bytes padded with zeros to one chunk (nothing if none are held)."""
        if not self._buf:
            return []
        out = bytes(self._buf) + bytes(self.chunk_bytes - len(self._buf))
        self._buf.clear()
        return [out]

    def reset(self) -> None:
        self._buf.clear()


class SampleAligner:
    """Holds back the trailing bytes of a buffer that do not make a whole sample frame.

    PortAudio always hands whole frames, but files and pipes need not; this keeps a stereo
    stream from slipping a channel when a buffer ends mid-frame.
    """

    def __init__(self, frame_bytes: int) -> None:
        self.frame_bytes = frame_bytes
        self._rest = b""

    @property
    def pending(self) -> int:
        return len(self._rest)

    def push(self, data: bytes | bytearray | memoryview) -> bytes:
        """Return the longest prefix of (held + data) made of whole frames; keep the rest."""
        if not self._rest and len(data) % self.frame_bytes == 0:
            return bytes(data)
        whole = self._rest + bytes(data)
        cut = len(whole) - len(whole) % self.frame_bytes
        self._rest = whole[cut:]
        return whole[:cut]

    def reset(self) -> None:
        self._rest = b""


def as_samples(data: bytes | bytearray | memoryview) -> Samples:
    """View little-endian 16-bit PCM bytes as an int16 array (no copy).

    Raises `FormatError` for an odd byte count.
    """
    if len(data) % SAMPLE_BYTES:
        raise FormatError(f"{len(data)} bytes is not a whole number of 16-bit samples")
    return np.frombuffer(data, dtype="<i2")


def downmix(samples: Samples, channels: int) -> Samples:
    """Average interleaved `channels` into mono (a mono input is returned as is).

    Raises `FormatError` if the sample count is not a multiple of `channels`.
    """
    if channels == 1:
        return samples
    if samples.size % channels:
        raise FormatError(f"{samples.size} samples do not split into {channels} channels")
    if channels == 2:  # the common case, in C: 1 µs where numpy takes 30 for 10 ms at 48 kHz
        mono: Samples = np.frombuffer(
            audioop.tomono(samples.tobytes(), SAMPLE_BYTES, 0.5, 0.5), dtype="<i2"
        )
        return mono
    wide = samples.reshape(-1, channels).astype(np.int32)
    mixed: Samples = (wide.sum(axis=1) // channels).astype(np.int16)
    return mixed


def upmix(mono: Samples, channels: int) -> Samples:
    """Copy a mono signal to every one of `channels` interleaved channels."""
    if channels == 1:
        return mono
    if channels == 2:
        stereo: Samples = np.frombuffer(
            audioop.tostereo(mono.tobytes(), SAMPLE_BYTES, 1.0, 1.0), dtype="<i2"
        )
        return stereo
    out: Samples = np.repeat(mono, channels)
    return out
