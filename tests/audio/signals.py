"""Signals and helpers shared by the audio tests: tones, noise and a bounded wait."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from firmware.audio.frames import Samples


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
