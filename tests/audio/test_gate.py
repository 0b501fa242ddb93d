"""The pause gate (firmware/audio/gate.py): typing between words goes down, speech stays."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.audio.bridge import uplink_stages
from firmware.audio.frames import FRAME_BYTES, StreamFormat
from firmware.audio.gate import PauseGate, periodicity
from firmware.audio.noise import NoiseSuppressor
from firmware.audio.offline import process_samples
from firmware.audio.policy import (
    CallAudioSettings,
    NoisePolicy,
    PolicyError,
    Role,
    SitePolicy,
)
from firmware.audio.stages import MuteStage
from tests.audio.signals import RATE, pause_to_speech_db, speech_kept, speech_with_typing

FRAME = FRAME_BYTES // 2


def run(gate: PauseGate, samples: np.ndarray) -> np.ndarray:
    pcm = np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
    out = b"".join(gate.process(pcm[i : i + FRAME_BYTES]) for i in range(0, len(pcm), FRAME_BYTES))
    return np.frombuffer(out, dtype="<i2").astype(np.float64)


def voice(seconds: float, pitch: float = 140.0, level: float = 6000.0) -> np.ndarray:
    """A steady voiced sound: a pitch and its first eight harmonics."""
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 9))
    return level * x / np.sqrt(np.mean(x**2))


def clicks(seconds: float, every: float = 0.15, level: float = 8000.0) -> np.ndarray:
    """Key-click-like bursts: 4 ms of decaying noise every `every` seconds."""
    rng = np.random.default_rng(3)
    out = np.zeros(int(seconds * RATE))
    burst = rng.normal(0, level, 64) * np.exp(-np.arange(64) / 12)
    for at in np.arange(0.01, seconds, every):
        i = int(at * RATE)
        out[i : i + 64] += burst[: out.size - i]
    return np.round(out)  # what an int16 frame carries


def db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-9))


def test_depth_zero_is_a_true_pass_through() -> None:
    gate = PauseGate(0)
    frame = np.arange(FRAME, dtype="<i2").tobytes()
    assert gate.process(frame) is frame
    assert gate.delay == 0


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"depth_db": -1}, "pause gate depth -1 dB"),
        ({"depth_db": 15, "hangover_ms": -5}, "hangover -5 ms"),
    ],
)
def test_bad_settings_are_named(kwargs: dict[str, float], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        PauseGate(**kwargs)


def test_periodicity_tells_a_vowel_from_clicks_and_noise() -> None:
    window = slice(0, 3 * FRAME)
    assert periodicity(voice(0.03)[window].astype(np.float32)) > 0.9
    assert periodicity(voice(0.03, pitch=75.0)[window].astype(np.float32)) > 0.9  # deep voice
    noise = np.random.default_rng(1).normal(0, 3000, 3 * FRAME).astype(np.float32)
    assert periodicity(noise) < 0.5
    assert periodicity(np.zeros(3 * FRAME, dtype=np.float32)) == 0.0


def test_clicks_alone_are_lowered_by_the_depth() -> None:
    x = clicks(2.0)
    y = run(PauseGate(15), x)
    assert db(y) - db(x) == pytest.approx(-15, abs=0.5)


def test_a_voice_opens_it_at_once_and_passes_unchanged() -> None:
    x = voice(1.0)
    gate = PauseGate(15)
    y = run(gate, x)
    assert gate.is_open and gate.opened == 1
    opened = 5 * FRAME  # the window fills, two periodic frames, one frame of ramp up
    assert np.array_equal(y[opened:], np.round(x[opened:]))


def test_it_holds_through_the_hangover_then_closes() -> None:
    x = np.concatenate([voice(0.5), clicks(1.0)])
    y = run(PauseGate(15, hangover_ms=250), x)
    after = int(0.5 * RATE)
    held = slice(after, after + int(0.24 * RATE))
    assert np.array_equal(y[held], np.round(x[held]))  # clicks right after a word: kept
    closed = slice(after + int(0.35 * RATE), x.size)  # 250 ms hold + 50 ms release, margin
    assert db(y[closed]) - db(x[closed]) == pytest.approx(-15, abs=0.5)


@pytest.mark.parametrize("typing_at", [0.0, 3.0, 6.0])
def test_typing_in_speech_pauses_drops_and_the_speech_is_kept(typing_at: float) -> None:
    """The real chain (WebRTC level 1, mix 0.5, gate 15 dB) on a recorded utterance with
    recorded typing: WebRTC alone hardly lowers the typing; with the gate the pauses come
    down by more than 8 dB relative to speech, and the speech keeps its envelope and level."""
    mix, clean = speech_with_typing(6.0, typing_at)
    pcm = np.round(mix).astype(np.int16)
    fmt = StreamFormat(RATE, 1)
    without = process_samples(pcm, fmt, CallAudioSettings(1, 0, 0, ns_mix=0.5))
    with_gate = process_samples(pcm, fmt, CallAudioSettings(1, 0, 0, ns_mix=0.5, gate_db=15))
    d = with_gate.delay
    ns_only = pause_to_speech_db(without.samples[d:].astype(np.float64), clean)
    gated = pause_to_speech_db(with_gate.samples[d:].astype(np.float64), clean)
    fed = pause_to_speech_db(mix, clean)
    assert ns_only > fed - 3  # what the gate is for: WebRTC leaves typing nearly as it was
    assert gated < ns_only - 8
    corr, level = speech_kept(with_gate.samples[d:].astype(np.float64), clean)
    assert corr > 0.7
    assert level > -3.0


def test_the_uplink_runs_the_gate_after_suppression_and_before_mute() -> None:
    names = [s.name for s in uplink_stages(CallAudioSettings(1, 0, 0, gate_db=15), MuteStage())]
    assert names.index("noise") < names.index("gate") < names.index("mute")
    gate = next(
        s for s in uplink_stages(CallAudioSettings(1, 0, 0), MuteStage()) if s.name == "gate"
    )
    assert isinstance(gate, PauseGate) and gate.depth_db == 0


def test_the_site_policy_carries_the_depth_and_turns_it_off_with_suppression() -> None:
    site = SitePolicy()
    assert site.settings_for_new_call().gate_db == NoisePolicy().gate_db == 0  # off by default
    site.change(Role.ADMIN, gate_db=20)
    assert site.settings_for_new_call().gate_db == 20
    site.change(Role.ADMIN, suppression=False)
    assert site.settings_for_new_call().gate_db == 0  # suppression off: sent as captured
    with pytest.raises(PolicyError, match="pause gate depth 41 dB"):
        site.change(Role.ADMIN, gate_db=41)


def test_a_gated_frame_is_still_a_frame() -> None:
    gate = PauseGate(15)
    ns = NoiseSuppressor(0)
    for frame in (bytes(FRAME_BYTES), b"\xff\x7f" * FRAME, b"\x00\x80" * FRAME):
        out = gate.process(ns.process(frame))
        assert len(out) == FRAME_BYTES
