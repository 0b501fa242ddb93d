"""Signals and helpers shared by the audio tests: tones, noise, speech with typing (real
recordings, tests/data/audio), the measures of what suppression kept, and a bounded wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from firmware.audio.frames import Samples

DATA = Path(__file__).resolve().parents[1] / "data" / "audio"
RATE = 16_000


def tone(n: int, rate: int, freq: float = 440.0, dbfs: float = -20.0) -> Samples:
    t = np.arange(n) / rate
    amp = 32768 * 10 ** (dbfs / 20) * np.sqrt(2)
    out: Samples = (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return out


def noise(n: int, dbfs: float = -20.0, seed: int = 0, smooth: int = 1) -> Samples:
    """White noise, or low-passed by a moving average of `smooth` samples."""
    x = np.random.default_rng(seed).normal(0, 32768 * 10 ** (dbfs / 20), n)
    if smooth > 1:
        x = np.convolve(x, np.ones(smooth) / smooth * np.sqrt(smooth), "same")
    return np.clip(x, -32768, 32767).astype(np.int16)


def lag_of(y: Samples, x: Samples, max_lag: int) -> int:
    """The lag (0..max_lag) at which `y` best matches `x` delayed."""
    a, b = max_lag, min(len(x), len(y))
    yy = y[a:b].astype(np.float64)
    scores = [float(np.dot(yy, x[a - d : b - d].astype(np.float64))) for d in range(max_lag + 1)]
    return int(np.argmax(scores))


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a worker thread to get somewhere; a hang guard, not a timing assertion."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            pytest.fail("the audio worker did not get there (hung?)")
        time.sleep(0.002)


def speech_with_typing(seconds: float = 6.0, typing_at: float = 0.0) -> tuple[Samples, Samples]:
    """(mix, clean speech) as float arrays at 16 kHz: a CMU Arctic utterance (RMS 6000) from
    0.5 s, a pause after it, and typing (RMS 1500) throughout, taken from `typing_at` s into
    the 12 s typing recording (different offsets: different key sequences)."""
    from firmware.audio.wavio import read_wav

    utterance = read_wav(DATA / "cmu_arctic_us_aew_a0001.wav").samples.astype(np.float64)
    typing = read_wav(DATA / "typing_cherrymx_black_16k.wav").samples.astype(np.float64)
    n = int(seconds * RATE)
    clean = np.zeros(n)
    i = int(0.5 * RATE)
    clean[i : i + utterance.size] = utterance[: max(0, n - i)]
    clean *= 6000 / (np.sqrt(np.mean(clean[clean != 0] ** 2)) + 1e-9)
    start = int(typing_at * RATE)
    noise = typing[start : start + n]
    assert noise.size == n, f"the typing recording is shorter than {typing_at + seconds} s"
    return np.clip(clean + noise, -32000, 32000), clean


def frame_energies(signal: Samples, clean: Samples, rate: int) -> tuple[Samples, Samples]:
    """(clean, signal) mean energies per 20 ms frame, over the span both cover."""
    n = rate // 50  # 20 ms
    frames = min(signal.size, clean.size) // n
    ref = np.square(clean[: frames * n].astype(np.float64)).reshape(frames, n).mean(axis=1)
    sig = np.square(signal[: frames * n].astype(np.float64)).reshape(frames, n).mean(axis=1)
    return ref, sig


def pause_to_speech_db(signal: Samples, clean: Samples, rate: int = RATE) -> float:
    """Energy in the speech pauses relative to the energy in speech (dB), on 20 ms frames;
    speech frames are those where the clean reference is within 30 dB of its peak, pauses
    those where it is 70 dB or more below (in practice: no speech at all)."""
    ref, sig = frame_energies(signal, clean, rate)
    speech = ref > ref.max() * 1e-3
    pause = ref < ref.max() * 1e-7
    return float(10 * np.log10((sig[pause].mean() + 1e-9) / (sig[speech].mean() + 1e-9)))


def speech_kept(signal: Samples, clean: Samples, rate: int = RATE) -> tuple[float, float]:
    """(correlation of the 20 ms log-energy envelopes over the speech frames, level of those
    frames relative to the clean speech in dB): the words are where they were, audible."""
    ref, sig = frame_energies(signal, clean, rate)
    speech = ref > ref.max() * 1e-3
    corr = float(np.corrcoef(np.log10(ref[speech] + 1), np.log10(sig[speech] + 1))[0, 1])
    level = float(10 * np.log10((sig[speech].mean() + 1e-9) / (ref[speech].mean() + 1e-9)))
    return corr, level
