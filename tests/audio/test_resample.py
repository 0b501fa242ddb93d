"""Device formats to engine frames and back: exact sizes, no lost samples, the delay reported."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.audio.frames import ENGINE_RATE, FRAME_BYTES, FRAME_SAMPLES, StreamFormat
from firmware.audio.resample import CaptureConverter, PlaybackConverter, StreamResampler
from tests.audio.signals import lag_of, noise

ODD_SIZES = [1, 7, 441, 480, 1000, 13, 2048, 333]


def feed(conv: CaptureConverter, data: bytes, sizes: list[int]) -> list[bytes]:
    out: list[bytes] = []
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        out += conv.push(data[pos : pos + n])
        pos += n
        i += 1
    return out + conv.flush()


def test_same_rate_mono_capture_is_lossless() -> None:
    x = noise(16_000 + 37, seed=1)
    frames = feed(CaptureConverter(StreamFormat(ENGINE_RATE, 1)), x.tobytes(), ODD_SIZES)
    assert all(len(f) == FRAME_BYTES for f in frames)
    y = np.frombuffer(b"".join(frames), dtype=np.int16)
    assert len(frames) == -(-x.size // FRAME_SAMPLES)
    assert np.array_equal(y[: x.size], x) and not y[x.size :].any()


@pytest.mark.parametrize(
    "rate,channels", [(48_000, 2), (44_100, 1), (44_100, 2), (22_050, 1), (8_000, 1)]
)
def test_capture_gives_exact_frames_aligned_in_time(rate: int, channels: int) -> None:
    fmt = StreamFormat(rate, channels)
    n = rate  # one second
    x = np.zeros(n, dtype=np.int16)
    x[rate // 2] = 20_000  # an impulse half a second in
    data = np.repeat(x, channels).tobytes()
    frames = feed(CaptureConverter(fmt), data, [b * fmt.frame_bytes + 2 for b in (3, 97, 441)])
    assert all(len(f) == FRAME_BYTES for f in frames)
    # one second in, one second out (plus at most the last padded frame)
    assert len(frames) in (100, 101)
    y = np.frombuffer(b"".join(frames), dtype=np.int16)
    # the converter reports no signal delay: the impulse stays at 0.5 s
    assert abs(int(np.argmax(np.abs(y))) - ENGINE_RATE // 2) <= 1


@pytest.mark.parametrize(
    "rate,channels,chunk", [(48_000, 2, 480), (44_100, 1, 441), (16_000, 1, 77)]
)
def test_playback_gives_exact_device_buffers(rate: int, channels: int, chunk: int) -> None:
    fmt = StreamFormat(rate, channels)
    conv = PlaybackConverter(fmt, chunk)
    x = noise(ENGINE_RATE, seed=2, smooth=4)
    out: list[bytes] = []
    for i in range(0, x.size, FRAME_SAMPLES):
        out += conv.push(x[i : i + FRAME_SAMPLES].tobytes())
    out += conv.flush()
    assert all(len(c) == chunk * fmt.frame_bytes for c in out)
    total = len(out) * chunk
    assert rate - chunk < total <= rate + chunk
    y = np.frombuffer(b"".join(out), dtype=np.int16).reshape(-1, channels)
    if channels == 2:
        assert np.array_equal(y[:, 0], y[:, 1])


@pytest.mark.parametrize("rate", [48_000, 44_100])
def test_round_trip_through_engine_rate_has_no_delay(rate: int) -> None:
    fmt = StreamFormat(rate, 2)
    cap, play = CaptureConverter(fmt), PlaybackConverter(fmt, fmt.frames_for_ms(10))
    x = noise(rate, seed=3, smooth=rate // 4000)  # band-limited below ~4 kHz
    data = np.repeat(x, 2).tobytes()
    out: list[bytes] = []
    for i in range(0, len(data), 1000):
        for f in cap.push(data[i : i + 1000]):
            out += play.push(f)
    for f in cap.flush():
        out += play.push(f)
    out += play.flush()
    y = np.frombuffer(b"".join(out), dtype=np.int16)[::2]
    assert lag_of(y, x, 200) == 0


def test_resampler_reports_what_it_holds_back() -> None:
    r = StreamResampler(48_000, 16_000)
    got = r.process(np.ones(4800, dtype=np.int16)).size
    assert r.pending > 0
    assert got + r.pending == pytest.approx(1600, abs=1)
    assert StreamResampler(16_000, 16_000).pending == 0
