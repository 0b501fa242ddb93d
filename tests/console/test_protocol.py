"""The management protocol codec: good frames round-trip, bad ones give the exact error, and
no byte string makes the decoder raise or lose the next good frame."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.console import protocol as p


def frame(payload: bytes) -> bytes:
    return b"DG " + f"{zlib.crc32(payload):08x}".encode() + b" " + payload + b"\n"


def test_request_round_trip() -> None:
    request = p.Request(7, "state", {"agent": "A", "status": "ready"}, token="s3cret")
    data = p.encode(request)
    assert data.startswith(b"DG ") and data.endswith(b"\n") and data.count(b"\n") == 1
    assert p.decode_line(data[:-1]) == request


def test_reply_and_event_round_trip() -> None:
    ok = p.Reply(3, True, {"seq": 12})
    bad = p.Reply.failure(4, p.ERR_TOKEN, "wrong technician token")
    ev = p.Event(5, {"type": "HOOK_CHANGED", "agent": "A", "off_hook": True})
    for message in (ok, bad, ev):
        assert p.decode_line(p.encode(message).rstrip(b"\n")) == message


def test_newlines_inside_values_stay_escaped() -> None:
    data = p.encode(p.Reply(1, True, "two\nlines"))
    assert data.count(b"\n") == 1
    assert p.decode_line(data[:-1]) == p.Reply(1, True, "two\nlines")


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (b"hello", p.ERR_FRAME, "offset 0: expected the marker 'DG ', got b'hello'"),
        (b"DG 1234 {}", p.ERR_FRAME, "offset 3: expected 8 hex digits of CRC-32 and a space"),
        (b"DG zzzzzzzz {}", p.ERR_FRAME, "offset 3: CRC b'zzzzzzzz' is not hex"),
        (b"DG 00000000 {}", p.ERR_CRC, "offset 12: CRC mismatch over 2 payload bytes"),
    ],
)
def test_bad_frames_name_the_offset(line: bytes, code: str, message: str) -> None:
    with pytest.raises(p.ProtocolError) as err:
        p.decode_line(line)
    assert (err.value.code, str(err.value)) == (code, message)


def test_one_flipped_bit_is_caught_by_the_crc() -> None:
    good = bytearray(p.encode(p.Request(9, "status", v=1)))
    good[20] ^= 0x01
    with pytest.raises(p.ProtocolError) as err:
        p.decode_line(bytes(good).rstrip(b"\n"))
    assert err.value.code == p.ERR_CRC


@pytest.mark.parametrize(
    ("payload", "code", "message", "rid"),
    [
        (b"[1,2]", p.ERR_BAD_REQUEST, "payload is a list, not an object", None),
        (b'{"op":"status"}', p.ERR_BAD_REQUEST, "'id' must be an integer", None),
        (b'{"id":true,"op":"status"}', p.ERR_BAD_REQUEST, "'id' must be an integer", None),
        (
            b'{"id":4,"op":"status"}',
            p.ERR_BAD_REQUEST,
            "'v' (protocol version) must be an integer",
            4,
        ),
        (
            b'{"v":9,"id":5,"op":"status"}',
            p.ERR_VERSION,
            "protocol version 9 not supported (gateway speaks 1)",
            5,
        ),
        (b'{"v":1,"id":6,"op":3}', p.ERR_BAD_REQUEST, "'op' must be a string", 6),
        (b'{"v":1,"id":6,"op":"x","args":[]}', p.ERR_BAD_REQUEST, "'args' must be an object", 6),
        (b'{"id":8}', p.ERR_BAD_REQUEST, "object is neither a request, a reply nor an event", 8),
        (b'{"id":8,"ok":false}', p.ERR_BAD_REQUEST, "failed reply without 'error'", 8),
    ],
)
def test_bad_messages(payload: bytes, code: str, message: str, rid: int | None) -> None:
    with pytest.raises(p.ProtocolError) as err:
        p.decode_line(frame(payload).rstrip(b"\n"))
    assert (err.value.code, str(err.value), err.value.request_id) == (code, message, rid)


def test_not_json_payload() -> None:
    with pytest.raises(p.ProtocolError) as err:
        p.decode_line(frame(b"{nope").rstrip(b"\n"))
    assert err.value.code == p.ERR_FRAME
    assert str(err.value).startswith("offset 12: payload is not UTF-8 JSON: ")


def test_negotiate_picks_the_highest_common_version() -> None:
    assert p.negotiate([1, 2, 3]) == 1
    with pytest.raises(p.ProtocolError) as err:
        p.negotiate([2, 3])
    assert err.value.code == p.ERR_VERSION
    assert "no common protocol version (offered [2, 3], gateway speaks 1)" in str(err.value)
    with pytest.raises(p.ProtocolError):
        p.negotiate("1")


def test_encode_refuses_frames_over_the_limit() -> None:
    with pytest.raises(p.ProtocolError) as err:
        p.encode(p.Reply(1, True, "x" * p.MAX_FRAME))
    assert err.value.code == p.ERR_FRAME


def test_decoder_reassembles_a_frame_fed_byte_by_byte() -> None:
    decoder = p.FrameDecoder()
    data = p.encode(p.Request(1, "status"))
    out: list[object] = []
    for i in range(len(data)):
        out += decoder.feed(data[i : i + 1])
    assert out == [p.Request(1, "status")]
    assert decoder.pending == 0


def test_decoder_recovers_after_garbage_and_truncation() -> None:
    decoder = p.FrameDecoder()
    good = p.encode(p.Request(2, "status"))
    truncated = good[:15]
    out = decoder.feed(b"\x00\xffnoise\n" + truncated + b"\n" + good + b"\r\n\n")
    assert [type(m).__name__ for m in out] == ["ProtocolError", "ProtocolError", "Request"]
    assert out[2] == p.Request(2, "status")


def test_decoder_skips_an_overlong_line_once_and_stays_bounded() -> None:
    decoder = p.FrameDecoder(max_frame=100)
    out = decoder.feed(b"x" * 250)
    out += decoder.feed(b"y" * 250)
    assert decoder.pending <= 100
    out += decoder.feed(b"tail\n" + p.encode(p.Request(3, "status")))
    assert len(out) == 2
    assert isinstance(out[0], p.ProtocolError) and "longer than 100" in str(out[0])
    assert out[1] == p.Request(3, "status")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_no_byte_string_breaks_the_decoder(chunks: list[bytes]) -> None:
    decoder = p.FrameDecoder()
    for chunk in chunks:
        for item in decoder.feed(chunk):
            assert isinstance(item, p.ProtocolError | p.Request | p.Reply | p.Event)
    after = decoder.feed(b"\n" + p.encode(p.Request(42, "status")))
    assert after[-1] == p.Request(42, "status")
