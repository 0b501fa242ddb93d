"""Reading and writing 16-bit PCM WAV files, with errors that say what is wrong and what to do.

Only uncompressed 16-bit integer PCM is read (what the audio path carries); anything else
gets a `WavError` naming the file and the problem, never a traceback from `wave`.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.audio.frames import FormatError, Samples, StreamFormat

_FORMAT_NAMES = {3: "IEEE float", 6: "A-law", 7: "µ-law", 0xFFFE: "WAVE_FORMAT_EXTENSIBLE"}
_CONVERT = "convert it to 16-bit PCM first (e.g. `sox IN.wav -b 16 -e signed OUT.wav`)"


class WavError(Exception):
    """A WAV file that cannot be read or written; the message starts with the file name."""


@dataclass(frozen=True)
class Wav:
    """Interleaved int16 samples with their format."""

    samples: Samples
    format: StreamFormat

    @property
    def frames(self) -> int:
        return self.samples.size // self.format.channels


def read_wav(path: str | Path) -> Wav:
    """Read a 16-bit PCM WAV file. Raises `WavError` for a missing, malformed or unsupported
    file (compressed or float samples, 8/24/32-bit, no audio)."""
    p = Path(path)
    try:
        with wave.open(str(p), "rb") as w:
            width, channels, rate, nframes = (
                w.getsampwidth(),
                w.getnchannels(),
                w.getframerate(),
                w.getnframes(),
            )
            if width != 2:
                raise WavError(f"{p}: {8 * width}-bit samples are not supported; {_CONVERT}")
            data = w.readframes(nframes)
    except FileNotFoundError:
        raise WavError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise WavError(f"{p}: is a directory, not a WAV file") from None
    except wave.Error as exc:
        raise WavError(f"{p}: {_explain(str(exc))}") from None
    except EOFError:
        raise WavError(f"{p}: file ends inside the WAV header (truncated?)") from None
    except OSError as exc:
        raise WavError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        fmt = StreamFormat(rate, channels)
    except FormatError as exc:
        raise WavError(f"{p}: {exc}") from None
    whole = len(data) - len(data) % fmt.frame_bytes
    if whole == 0:
        raise WavError(f"{p}: contains no audio samples")
    samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.int16)
    return Wav(samples, fmt)


def _explain(message: str) -> str:
    if "RIFF" in message or "WAVE" in message:
        return "not a WAV file (no RIFF/WAVE header)"
    if message.startswith("unknown format:"):
        code = int(message.split(":")[1])
        name = _FORMAT_NAMES.get(code, f"format code {code}")
        return f"{name} samples are not supported; {_CONVERT}"
    if "fmt chunk" in message or "data chunk" in message:
        return f"damaged or truncated WAV file ({message})"
    return f"unreadable WAV file ({message})"


def write_wav(path: str | Path, samples: Samples, fmt: StreamFormat) -> None:
    """Write interleaved int16 `samples` as 16-bit PCM. Raises `WavError` on an I/O error."""
    p = Path(path)
    try:
        with open(p, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(fmt.channels)
            w.setsampwidth(2)
            w.setframerate(fmt.rate)
            w.writeframes(samples.astype("<i2").tobytes())
    except OSError as exc:
        raise WavError(f"{p}: cannot write: {exc.strerror or exc}") from None
