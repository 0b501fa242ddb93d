"""The WebRTC stage: frame sizes, its delay, and failing open when the engine fails."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from firmware.audio.frames import FRAME_BYTES, FRAME_SAMPLES
from firmware.audio.noise import NS_DELAY_SAMPLES, NoiseSuppressor, webrtc_engine
from firmware.audio.stages import frame_dbfs
from tests.audio.signals import lag_of, noise


def run(stage: NoiseSuppressor, x: np.ndarray) -> np.ndarray:
    stage.start()
    out = [
        stage.process(x[i : i + FRAME_SAMPLES].tobytes()) for i in range(0, x.size, FRAME_SAMPLES)
    ]
    assert all(len(f) == FRAME_BYTES for f in out)
    return np.frombuffer(b"".join(out), dtype=np.int16)


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_engine_delay_is_the_one_declared(level: int) -> None:
    stage = NoiseSuppressor(level)
    x = noise(32_000, dbfs=-20.0, seed=5, smooth=3)
    y = run(stage, x)
    assert stage.active and stage.fault is None
    assert stage.delay == NS_DELAY_SAMPLES
    assert lag_of(y[16_000:], x[16_000:], 200) == NS_DELAY_SAMPLES


def test_steady_noise_comes_out_quieter() -> None:
    x = noise(48_000, dbfs=-30.0, seed=6)
    y = run(NoiseSuppressor(3), x)
    tail = slice(32_000, 48_000)
    assert frame_dbfs(y[tail].tobytes()) < frame_dbfs(x[tail].tobytes()) - 6.0


def test_off_means_no_engine_and_no_change() -> None:
    calls: list[tuple[int, int]] = []

    def factory(agc: int, level: int) -> Any:
        calls.append((agc, level))
        return webrtc_engine(agc, level)

    stage = NoiseSuppressor(0, 0, factory)
    x = noise(1600, seed=7)
    assert np.array_equal(run(stage, x), x)
    assert calls == [] and stage.delay == 0 and not stage.active


def test_agc_only_runs_the_engine_without_delay() -> None:
    stage = NoiseSuppressor(0, 12)
    run(stage, noise(1600, seed=8))
    assert stage.active and stage.delay == 0


class Boom:
    """An engine that works for `good` frames, then raises."""

    def __init__(self, good: int) -> None:
        self.good = good

    def Process10ms(self, audio: bytes) -> Any:
        if self.good <= 0:
            raise RuntimeError("engine crashed")
        self.good -= 1
        return webrtc_engine(0, 2).Process10ms(audio)


def test_engine_that_cannot_load_fails_open_with_the_same_delay() -> None:
    faults: list[str] = []

    def factory(agc: int, level: int) -> Any:
        raise ImportError("No module named 'webrtc_noise_gain'")

    stage = NoiseSuppressor(2, 0, factory, faults.append)
    x = noise(4800, seed=9)
    y = run(stage, x)
    assert not stage.active and stage.delay == NS_DELAY_SAMPLES
    assert np.array_equal(y[NS_DELAY_SAMPLES:], x[:-NS_DELAY_SAMPLES])
    assert not y[:NS_DELAY_SAMPLES].any()
    assert len(faults) == 1 and "unavailable" in faults[0] and "webrtc_noise_gain" in faults[0]


def test_engine_that_raises_mid_call_fails_open_and_reports_once() -> None:
    faults: list[str] = []
    stage = NoiseSuppressor(2, 0, lambda agc, level: Boom(good=20), faults.append)
    x = noise(16_000, seed=10)
    y = run(stage, x)
    assert y.size == x.size
    after = 21 * FRAME_SAMPLES  # from the first failed frame on, the input delayed by 96
    assert np.array_equal(y[after:], x[after - NS_DELAY_SAMPLES : -NS_DELAY_SAMPLES])
    assert faults == [stage.fault] and "engine crashed" in faults[0]
    assert stage.faults == 1 and not stage.active


def test_engine_returning_a_wrong_size_counts_as_a_failure() -> None:
    class Short:
        def Process10ms(self, audio: bytes) -> Any:
            return type("R", (), {"audio": audio[:100], "is_speech": False})()

    stage = NoiseSuppressor(1, 0, lambda agc, level: Short())
    run(stage, noise(640, seed=11))
    assert stage.fault is not None and "100 bytes" in stage.fault


class Silencer:
    """An engine that suppresses everything, so the output is the dry part alone."""

    def Process10ms(self, audio: bytes) -> Any:
        return type("R", (), {"audio": bytes(len(audio)), "is_speech": False})()


@pytest.mark.parametrize("mix", [0.25, 0.5, 0.9])
def test_mix_sends_the_delayed_input_for_the_rest(mix: float) -> None:
    stage = NoiseSuppressor(2, 0, lambda agc, level: Silencer(), mix=mix)
    x = noise(3200, seed=20)
    y = run(stage, x).astype(np.int32)
    dry = np.concatenate([np.zeros(NS_DELAY_SAMPLES), x[:-NS_DELAY_SAMPLES]]) * (1 - mix)
    assert np.max(np.abs(y - dry)) <= 1  # audioop rounds toward zero
    assert stage.fault is None


def test_agc_output_is_never_mixed_with_the_unlevelled_input() -> None:
    assert NoiseSuppressor(2, 9, mix=0.5).mix == 1.0


@pytest.mark.parametrize("level,agc,mix", [(5, 0, 1.0), (-1, 0, 1.0), (2, 32, 1.0), (2, 0, 0.0)])
def test_settings_are_checked(level: int, agc: int, mix: float) -> None:
    with pytest.raises(ValueError, match="expected"):
        NoiseSuppressor(level, agc, mix=mix)
