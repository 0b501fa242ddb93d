"""The stage interface of the audio path, and the small stages that need no engine.

A stage takes one 10 ms engine frame (320 bytes, 16 kHz mono int16) and returns one frame of
the same size: `start()`, `process(frame)`, `stop()` (as pipecat's audio filters). Each stage
declares the signal delay it adds in engine samples, so a chain can report its total.

Stages run on the bridge's worker thread only. The values other threads read (mute flag,
meter readings) are single attribute assignments, which are atomic in CPython.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from firmware.audio.frames import FRAME_BYTES, SAMPLE_BYTES, SILENT_FRAME

with warnings.catch_warnings():
    # audioop is in the standard library up to Python 3.12 (deprecated) and comes from the
    # audioop-lts package from 3.13 on. Its C RMS costs 0.4 µs a frame; numpy's small-array
    # overhead costs 5 µs, a quarter of the whole engine (tests/bench/bench_audio_speed.py).
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

FULL_SCALE = 32768.0
FLOOR_DBFS = -96.0  # what a digital-silence frame reads


@runtime_checkable
class Stage(Protocol):
    """One processing step on 10 ms engine frames. `process` must return FRAME_BYTES bytes."""

    name: str

    @property
    def delay(self) -> int:
        """Signal delay this stage adds, in engine samples (16 kHz)."""
        ...

    def start(self) -> None: ...

    def process(self, frame: bytes) -> bytes: ...

    def stop(self) -> None: ...


class MuteStage:
    """Replaces every frame with silence while muted (the headset's mute button).

    `muted` may be set from any thread; it takes effect on the next frame.
    """

    name = "mute"
    delay = 0

    def __init__(self, muted: bool = False) -> None:
        self.muted = muted

    def start(self) -> None:
        pass

    def process(self, frame: bytes) -> bytes:
        return SILENT_FRAME if self.muted else frame

    def stop(self) -> None:
        pass


def frame_dbfs(frame: bytes) -> float:
    """RMS level of one frame in dBFS (a full-scale square wave reads 0; silence -96)."""
    return _dbfs(audioop.rms(frame, SAMPLE_BYTES))


def _dbfs(rms: float) -> float:
    return FLOOR_DBFS if rms <= 0 else max(FLOOR_DBFS, 20.0 * math.log10(rms / FULL_SCALE))


def _rms_at(dbfs: float) -> float:
    return FULL_SCALE * 10 ** (dbfs / 20)


class LevelMeter:
    """Measures each frame's RMS level and decides voice activity; passes audio unchanged.

    Readings: `level_dbfs` (last frame), `peak_dbfs` (highest since `reset_peak`),
    `noise_floor_dbfs`, `voice` (speech now), `voice_frames` and `frames` (counts). Voice
    activity is an energy detector against a tracked noise floor: a frame counts as voice
    when it is `margin_db` above the floor and above `min_dbfs`, with a `hangover` of frames
    so word gaps do not flicker. The per-frame work stays in linear RMS (no logarithm): it
    runs on every frame of every call.
    """

    delay = 0

    def __init__(
        self,
        name: str = "meter",
        margin_db: float = 9.0,
        min_dbfs: float = -55.0,
        hangover: int = 20,
    ) -> None:
        self.name = name
        self.hangover = hangover
        self._margin = 10 ** (margin_db / 20)
        self._min_rms = _rms_at(min_dbfs)
        self._rise = 10 ** (0.01 / 20)  # the floor rises 0.01 dB a frame (1 dB/s)
        self.reset()

    def reset(self) -> None:
        self._rms = 0.0
        self._peak = 0.0
        self._floor = _rms_at(-70.0)
        self.voice = False
        self.frames = 0
        self.voice_frames = 0
        self._hold = 0

    @property
    def level_dbfs(self) -> float:
        return _dbfs(self._rms)

    @property
    def peak_dbfs(self) -> float:
        return _dbfs(self._peak)

    @property
    def noise_floor_dbfs(self) -> float:
        return _dbfs(self._floor)

    def reset_peak(self) -> None:
        self._peak = 0.0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def process(self, frame: bytes) -> bytes:
        rms = audioop.rms(frame, SAMPLE_BYTES)
        self._rms = rms
        if rms > self._peak:
            self._peak = rms
        # The floor falls at once and rises slowly, so speech does not lift it.
        floor = self._floor
        self._floor = floor = rms if rms < floor else floor * self._rise
        if rms > self._min_rms and rms > floor * self._margin:
            self._hold = self.hangover
            self.voice = True
            self.voice_frames += 1
        elif self._hold:
            self._hold -= 1
            self.voice_frames += 1
        else:
            self.voice = False
        self.frames += 1
        return frame


class StageChain:
    """Runs stages in order on each frame; its `delay` is the sum of theirs.

    Raises `ValueError` from `process` if a stage returns a frame of the wrong size (a bug in
    that stage, not something to pass on to the device).
    """

    def __init__(self, stages: Iterable[Stage]) -> None:
        self.stages: Sequence[Stage] = tuple(stages)
        self._process = tuple(s.process for s in self.stages)

    @property
    def delay(self) -> int:
        return sum(s.delay for s in self.stages)

    def find(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def start(self) -> None:
        for s in self.stages:
            s.start()

    def stop(self) -> None:
        for s in self.stages:
            s.stop()

    def process(self, frame: bytes) -> bytes:
        for step in self._process:
            frame = step(frame)
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"a stage returned {len(frame)} bytes, expected {FRAME_BYTES}")
        return frame
