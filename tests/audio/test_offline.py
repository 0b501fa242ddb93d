"""Files through the live uplink chain: same length and format, the reported delay is real."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from firmware.audio.frames import StreamFormat
from firmware.audio.offline import process_samples
from firmware.audio.policy import CallAudioSettings
from tests.audio.signals import lag_of, noise

NS2 = CallAudioSettings(ns_level=2, agc_dbfs=0, policy_version=0)
OFF = CallAudioSettings(ns_level=0, agc_dbfs=0, policy_version=0)


@pytest.mark.parametrize(
    "rate,channels,expected",
    [(16_000, 1, 96), (48_000, 2, 288), (44_100, 1, 265), (22_050, 2, 132), (8_000, 1, 48)],
)
def test_reported_delay_is_the_measured_delay(rate: int, channels: int, expected: int) -> None:
    x = noise(rate * 2, dbfs=-20.0, seed=12, smooth=max(1, rate // 5000))
    r = process_samples(np.repeat(x, channels), StreamFormat(rate, channels), NS2)
    assert r.samples.size == x.size * channels and r.engine_fault is None
    assert r.delay == expected
    y = r.samples.reshape(-1, channels)
    assert lag_of(y[rate:, 0], x[rate:], 600) == pytest.approx(expected, abs=1)
    assert r.frames == -(-2 * 16_000 // 160)


def test_off_at_the_engine_rate_is_an_exact_copy() -> None:
    x = noise(16_000 + 55, seed=13)
    r = process_samples(x, StreamFormat(16_000, 1), OFF)
    assert r.delay == 0 and np.array_equal(r.samples, x)


def test_off_with_resampling_adds_no_delay() -> None:
    x = noise(48_000, seed=14, smooth=12)
    r = process_samples(x, StreamFormat(48_000, 1), OFF)
    assert r.delay == 0 and lag_of(r.samples, x, 300) == 0


@pytest.mark.parametrize("buffer_frames", [13, 97, 1000])
def test_odd_device_buffer_sizes_change_only_rounding(buffer_frames: int) -> None:
    x = noise(44_100, seed=15, smooth=10)
    fmt = StreamFormat(44_100, 1)
    a = process_samples(x, fmt, NS2).samples.astype(np.float64)
    b = process_samples(x, fmt, NS2, buffer_frames=buffer_frames).samples.astype(np.float64)
    # soxr rounds differently at other chunk boundaries: a few LSB, more than 40 dB down
    assert a.size == b.size
    assert np.sum((a - b) ** 2) < 1e-4 * np.sum(a**2)


def test_a_broken_engine_still_writes_the_audio_delayed() -> None:
    def factory(agc: int, level: int) -> Any:
        raise OSError("libwebrtc missing")

    x = noise(16_000, seed=16)
    r = process_samples(x, StreamFormat(16_000, 1), NS2, engine_factory=factory)
    assert r.engine_fault is not None and "libwebrtc missing" in r.engine_fault
    assert r.delay == 96 and np.array_equal(r.samples[96:], x[:-96])
