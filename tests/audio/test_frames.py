"""The pure framing core: exact chunks from any buffer sizes, nothing lost or duplicated."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.audio.frames import (
    FRAME_BYTES,
    FormatError,
    Rechunker,
    SampleAligner,
    StreamFormat,
    as_samples,
    downmix,
    upmix,
)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 2000), max_size=40),
    chunk=st.sampled_from([2, 320, 882, 960, 1764]),
)
def test_rechunker_keeps_every_byte_in_order(sizes: list[int], chunk: int) -> None:
    data = bytes(i % 251 for i in range(sum(sizes)))
    r = Rechunker(chunk)
    out: list[bytes] = []
    pos = 0
    for n in sizes:
        out += r.push(data[pos : pos + n])
        pos += n
        assert r.pending == pos - len(out) * chunk < chunk
    assert all(len(c) == chunk for c in out)
    assert b"".join(out) + data[len(out) * chunk :] == data
    tail = r.flush()
    if r.pending == 0 and len(data) % chunk == 0:
        assert tail == []
    else:
        assert len(tail) == 1 and len(tail[0]) == chunk
        assert tail[0] == data[len(out) * chunk :] + bytes(chunk - len(data) % chunk)
    assert r.pending == 0


def test_rechunker_passes_exact_frames_through() -> None:
    r = Rechunker(FRAME_BYTES)
    frame = bytes(range(256)) + bytes(64)
    assert r.push(frame) == [frame]
    assert r.pending == 0


@pytest.mark.parametrize("chunk,align", [(0, 2), (321, 2), (10, 4)])
def test_rechunker_refuses_misaligned_chunk_sizes(chunk: int, align: int) -> None:
    with pytest.raises(FormatError, match="not a positive multiple"):
        Rechunker(chunk, align)


@given(st.lists(st.integers(0, 50), max_size=30))
def test_aligner_returns_whole_stereo_frames_only(sizes: list[int]) -> None:
    data = bytes(i % 256 for i in range(sum(sizes)))
    a = SampleAligner(4)
    got = b""
    pos = 0
    for n in sizes:
        part = a.push(data[pos : pos + n])
        pos += n
        assert len(part) % 4 == 0
        got += part
    assert got + data[len(got) :] == data and a.pending == len(data) - len(got) < 4


def test_downmix_averages_and_upmix_copies() -> None:
    stereo = np.array([100, 300, -32768, -32768, 32767, 32767, 1, 2], dtype=np.int16)
    mono = downmix(stereo, 2)
    assert mono.tolist() == [200, -32768, 32767, 1]
    assert upmix(mono, 3).tolist() == [200] * 3 + [-32768] * 3 + [32767] * 3 + [1] * 3
    assert downmix(mono, 1) is mono


def test_downmix_rejects_a_partial_frame() -> None:
    with pytest.raises(FormatError, match="do not split into 2 channels"):
        downmix(np.zeros(3, dtype=np.int16), 2)


def test_odd_byte_count_is_not_pcm16() -> None:
    with pytest.raises(FormatError, match="not a whole number"):
        as_samples(b"\x00\x01\x02")


@pytest.mark.parametrize(
    "rate,channels,msg", [(4000, 1, "outside"), (200_000, 1, "outside"), (48000, 0, "1 to 8")]
)
def test_stream_format_is_checked(rate: int, channels: int, msg: str) -> None:
    with pytest.raises(FormatError, match=msg):
        StreamFormat(rate, channels)


def test_stream_format_sizes() -> None:
    f = StreamFormat(44_100, 2)
    assert f.frame_bytes == 4
    assert f.frames_for_ms(10) == 441
    assert f.ms_for_frames(441) == pytest.approx(10.0)
