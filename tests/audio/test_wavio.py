"""WAV files in and out, and the errors for files the audio path cannot use."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from firmware.audio.frames import StreamFormat
from firmware.audio.wavio import WavError, read_wav, write_wav
from tests.audio.signals import tone


def header(fmt_code: int, channels: int, rate: int, bits: int, data: bytes) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_code, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_round_trip_keeps_samples_rate_and_channels(tmp_path: Path) -> None:
    x = np.repeat(tone(4410, 44_100), 2)
    write_wav(tmp_path / "a.wav", x, StreamFormat(44_100, 2))
    wav = read_wav(tmp_path / "a.wav")
    assert wav.format == StreamFormat(44_100, 2) and wav.frames == 4410
    assert np.array_equal(wav.samples, x)


@pytest.mark.parametrize(
    "content,message",
    [
        (b"hello, not audio at all", "not a WAV file (no RIFF/WAVE header)"),
        (header(3, 1, 16000, 32, bytes(64)), "IEEE float samples are not supported; convert"),
        (header(6, 1, 8000, 8, bytes(64)), "A-law samples are not supported"),
        (header(1, 1, 16000, 8, bytes(64)), "8-bit samples are not supported; convert"),
        (header(1, 2, 48000, 24, bytes(60)), "24-bit samples are not supported"),
        (header(1, 1, 16000, 16, b""), "contains no audio samples"),
        (header(1, 1, 4000, 16, bytes(64)), "sample rate 4000 Hz is outside"),
        (b"RIFF\x10\x00\x00\x00WAVE", "truncated"),
    ],
)
def test_unusable_files_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.wav"
    path.write_bytes(content)
    with pytest.raises(WavError) as e:
        read_wav(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(WavError, match="no such file"):
        read_wav(tmp_path / "nope.wav")
    with pytest.raises(WavError, match="is a directory"):
        read_wav(tmp_path)


def test_a_file_cut_mid_frame_keeps_the_whole_frames(tmp_path: Path) -> None:
    data = np.arange(10, dtype=np.int16).tobytes()
    raw = header(1, 2, 16000, 16, data)
    (tmp_path / "cut.wav").write_bytes(raw[:-2])  # the last stereo frame is half there
    wav = read_wav(tmp_path / "cut.wav")
    assert wav.samples.tolist() == list(range(8))


def test_unwritable_output(tmp_path: Path) -> None:
    with pytest.raises(WavError, match="cannot write"):
        write_wav(tmp_path / "no" / "dir" / "o.wav", np.zeros(4, np.int16), StreamFormat(16000))
