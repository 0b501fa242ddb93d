"""Mute, level and voice meters, and the chain that runs them."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.audio.frames import FRAME_BYTES, FRAME_SAMPLES, SILENT_FRAME
from firmware.audio.stages import LevelMeter, MuteStage, Stage, StageChain, frame_dbfs
from tests.audio.signals import noise, tone


def frames_of(x: np.ndarray) -> list[bytes]:
    return [x[i : i + FRAME_SAMPLES].tobytes() for i in range(0, x.size, FRAME_SAMPLES)]


def test_mute_zeroes_while_muted_and_passes_otherwise() -> None:
    m = MuteStage()
    frame = tone(FRAME_SAMPLES, 16_000).tobytes()
    assert m.process(frame) == frame
    m.muted = True
    assert m.process(frame) == SILENT_FRAME
    m.muted = False
    assert m.process(frame) == frame
    assert isinstance(m, Stage) and m.delay == 0


@pytest.mark.parametrize("dbfs", [-6.0, -20.0, -40.0])
def test_level_of_a_tone(dbfs: float) -> None:
    frame = tone(FRAME_SAMPLES, 16_000, freq=500.0, dbfs=dbfs).tobytes()  # whole periods
    assert frame_dbfs(frame) == pytest.approx(dbfs, abs=0.2)


def test_silence_reads_the_floor() -> None:
    assert frame_dbfs(SILENT_FRAME) == -96.0


def test_voice_activity_follows_a_talk_spurt_with_hangover() -> None:
    meter = LevelMeter(hangover=5)
    quiet = noise(16_000, dbfs=-60.0, seed=4)
    for f in frames_of(quiet):
        meter.process(f)
    assert not meter.voice
    spurt = tone(FRAME_SAMPLES * 30, 16_000, dbfs=-20.0)
    states = [meter.voice for f in frames_of(spurt) if meter.process(f)]
    assert all(states)
    after = [meter.voice for f in frames_of(quiet[: FRAME_SAMPLES * 10]) if meter.process(f)]
    assert after[:5] == [True] * 5 and not any(after[5:])
    assert meter.frames == 100 + 30 + 10 and meter.voice_frames == 35
    assert meter.peak_dbfs == pytest.approx(-20.0, abs=0.3)
    assert meter.noise_floor_dbfs < -55.0  # speech did not lift the floor
    meter.reset_peak()
    assert meter.peak_dbfs == -96.0


def test_meter_passes_audio_unchanged() -> None:
    frame = noise(FRAME_SAMPLES).tobytes()
    assert LevelMeter().process(frame) is frame


class Shift:
    """A stage that delays by a whole number of samples (for the chain's delay sum)."""

    def __init__(self, name: str, delay: int) -> None:
        self.name = name
        self.delay = delay
        self.started = self.stopped = 0

    def start(self) -> None:
        self.started += 1

    def process(self, frame: bytes) -> bytes:
        return frame

    def stop(self) -> None:
        self.stopped += 1


def test_chain_sums_delays_and_runs_in_order() -> None:
    a, b = Shift("a", 10), Shift("b", 86)
    mute = MuteStage(muted=True)
    chain = StageChain([a, mute, b])
    chain.start()
    assert chain.delay == 96
    assert chain.process(tone(FRAME_SAMPLES, 16_000).tobytes()) == SILENT_FRAME
    chain.stop()
    assert (a.started, a.stopped, b.started, b.stopped) == (1, 1, 1, 1)
    assert chain.find("mute") is mute and chain.find("nope") is None


def test_chain_refuses_a_stage_that_changes_the_frame_size() -> None:
    class Truncate(Shift):
        def process(self, frame: bytes) -> bytes:
            return frame[:-2]

    with pytest.raises(ValueError, match=f"318 bytes, expected {FRAME_BYTES}"):
        StageChain([Truncate("t", 0)]).process(SILENT_FRAME)
