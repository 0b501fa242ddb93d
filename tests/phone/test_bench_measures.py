"""The phone bench test's measures (tests/phone/guest_phone.py), checked on the host against
audio whose answer is known: they read cleaned audio as cleaned even when the stream slipped,
and they fail audio that was not cleaned, speech that did not arrive and a missing tone."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from firmware.audio.frames import StreamFormat
from firmware.audio.offline import process_samples
from firmware.audio.policy import CallAudioSettings
from tests.audio.signals import pause_to_speech_db, speech_with_typing
from tests.phone.guest_phone import align, heard_frames, speech_frames_audible, tone_power_share

RATE8 = 8000
SLIP = 512  # one lane underrun: 64 ms of made-up silence at 8 kHz


@pytest.fixture(scope="module")
def fed() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clean, mix, the chain's output) at 8 kHz, as the far end hears the call."""
    mix, clean = speech_with_typing(6.0)
    settings = CallAudioSettings(1, 0, 0, ns_mix=0.5, gate_db=15)
    out = process_samples(np.round(mix).astype(np.int16), StreamFormat(16_000, 1), settings)
    down = lambda x: soxr.resample(np.asarray(x, dtype=np.float64), 16_000, RATE8)  # noqa: E731
    return down(clean), down(mix), down(out.samples)


def as_call(audio: np.ndarray, slips: int, seed: int = 1) -> np.ndarray:
    """`audio` 1.3 s into a call, with `slips` underruns inserted at random places."""
    rng = np.random.default_rng(seed)
    for at in sorted(rng.integers(0, audio.size, slips))[::-1]:
        audio = np.concatenate([audio[:at], np.zeros(SLIP), audio[at:]])
    return np.concatenate([np.zeros(int(1.3 * RATE8)), audio, np.zeros(4 * RATE8)])


def measure(received: np.ndarray, clean: np.ndarray, mix: np.ndarray) -> tuple[float, float, float]:
    """(pause drop in dB beyond what was fed, share of speech frames audible, seconds matched)"""
    out, ref, fed_mix = align(received, clean, mix, RATE8)
    kept, ref, fed_mix = heard_frames(out, ref, fed_mix)
    drop = pause_to_speech_db(fed_mix, ref, RATE8) - pause_to_speech_db(kept, ref, RATE8)
    return drop, speech_frames_audible(kept, ref, RATE8), out.size / RATE8


@pytest.mark.parametrize("slips", [0, 8, 20])
def test_cleaned_audio_reads_as_cleaned_however_the_stream_slipped(
    fed: tuple[np.ndarray, np.ndarray, np.ndarray], slips: int
) -> None:
    clean, mix, processed = fed
    drop, audible, matched = measure(as_call(processed, slips), clean, mix)
    assert drop > 12  # the bench asserts > 8
    assert audible == 1.0
    assert matched >= 5.5


def test_audio_that_was_not_cleaned_fails_the_bench(
    fed: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    clean, mix, _ = fed
    drop, audible, _ = measure(as_call(mix, 8), clean, mix)
    assert drop < 3 and audible == 1.0


def test_speech_that_did_not_arrive_fails_the_bench(
    fed: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    clean, mix, _ = fed
    typing_only = (mix - clean) * 10 ** (-15 / 20)  # the words lost, the typing gated
    assert speech_frames_audible(typing_only, clean, RATE8) < 0.9


def test_the_tone_measure_survives_phase_jumps_and_misses_nothing_else() -> None:
    t = np.arange(16_000 * 5) / 16_000
    tone = 4000 * np.sin(2 * np.pi * 1000 * t + np.floor(t * 7) * 1.3)  # 7 restarts a second
    noise = np.random.default_rng(2).normal(0, 4000, t.size)
    assert tone_power_share(tone, 1000.0) > 0.9
    assert tone_power_share(noise, 1000.0) < 0.1
    assert tone_power_share(np.zeros(t.size), 1000.0) == 0.0
