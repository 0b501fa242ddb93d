"""The simulated board's sound: a fake headset whose microphone hears speech over noise (from
WAV files like `../shared/audio/`), through the real noise-suppression chain at real time.

Every WAV must be 16-bit PCM; files are mixed sample by sample (the shortest one loops), at
the first file's rate, which becomes the fake headset's rate. Without files (a fresh machine
without the shared audio) the microphone hears a tone over seeded noise instead.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from firmware.audio.fake import FakeAudioBackend, FakeDevice, Noise, Recording, Tone
from firmware.audio.frames import Samples, StreamFormat
from firmware.audio.wavio import WavError, read_wav

log = logging.getLogger("deskgate.sim")

HEADSET = "Fake USB Headset"
PHONE = "Fake Phone Line"


class _Mix:
    """Sum of signals, clipped to int16."""

    def __init__(self, *signals: Recording | Tone | Noise) -> None:
        self.signals = signals

    def __call__(self, n: int, fmt: StreamFormat) -> Samples:
        total = np.zeros(n * fmt.channels, dtype=np.int32)
        for signal in self.signals:
            total += signal(n, fmt).astype(np.int32)
        mixed: Samples = np.clip(total, -32768, 32767).astype(np.int16)
        return mixed


def simulated_backend(wavs: list[Path], realtime: bool = True) -> FakeAudioBackend:
    """The fake sound system of the simulated desk (mono devices; see the module doc)."""
    recordings: list[Recording] = []
    rate = 16_000
    for i, path in enumerate(wavs):
        try:
            wav = read_wav(path)
        except WavError as exc:
            log.warning("simulated audio: %s", exc)
            continue
        if wav.format.channels != 1:
            log.warning("simulated audio: %s is not mono; skipped", path)
            continue
        if i == 0:
            rate = wav.format.rate
        elif wav.format.rate != rate:
            log.warning("simulated audio: %s is not at %d Hz; skipped", path, rate)
            continue
        recordings.append(Recording(wav.samples, loop=True))
    mic = _Mix(*recordings) if recordings else _Mix(Tone(300.0, -24.0), Noise(-40.0, seed=7))
    devices = [
        FakeDevice(HEADSET, 1, 1, rate, mic),
        FakeDevice(PHONE, 1, 1, 16_000, Tone(500.0, -30.0)),
    ]
    return FakeAudioBackend(devices, realtime=realtime)
