"""The ctrl_tcp framing: good, split, concatenated, truncated and corrupt streams."""

from __future__ import annotations

import pytest

from firmware.phone.netstring import NetstringDecoder, NetstringError, encode

CASES = [b"", b"a", b'{"command":"accept","token":"1"}', bytes(range(256)), b"4:x,"]


@pytest.mark.parametrize("payload", CASES)
def test_round_trip_fed_byte_by_byte(payload: bytes) -> None:
    frame = encode(payload)
    decoder = NetstringDecoder()
    got: list[bytes] = []
    for i in range(len(frame)):
        got += decoder.feed(frame[i : i + 1])
    assert got == [payload]
    assert decoder.offset == len(frame)


def test_several_frames_in_one_read_keep_order_and_the_partial_rest() -> None:
    decoder = NetstringDecoder()
    stream = encode(b"one") + encode(b"two") + encode(b"three")[:4]
    assert decoder.feed(stream) == [b"one", b"two"]
    assert decoder.feed(encode(b"three")[4:]) == [b"three"]


def test_encode_is_the_exact_wire_form() -> None:
    assert encode(b"hello") == b"5:hello,"
    assert encode(b"") == b"0:,"


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"5:hello;", "offset 7: expected ',' after 5 bytes, got b';'"),
        (b"x:", "offset 0: expected a decimal length then ':', got b'x'"),
        (b"05:hello,", "offset 0: expected a decimal length without leading zeros, got b'05'"),
        (b"2:ok,3:abc.", "offset 10: expected ',' after 3 bytes, got b'.'"),
        (b"99999999", "offset 0: a length of more than 7 digits"),
        (b":", "offset 0: expected a decimal length then ':', got b':'"),
        (b"2000000:", "offset 0: length 2000000 exceeds the limit of 1048576"),
    ],
)
def test_corrupt_streams_name_offset_and_expectation(stream: bytes, message: str) -> None:
    with pytest.raises(NetstringError) as err:
        NetstringDecoder().feed(stream)
    assert str(err.value) == message


def test_a_broken_decoder_stays_broken() -> None:
    decoder = NetstringDecoder()
    with pytest.raises(NetstringError):
        decoder.feed(b"1:a!")
    with pytest.raises(NetstringError):
        decoder.feed(encode(b"fine"))


def test_oversized_payload_cannot_be_encoded() -> None:
    with pytest.raises(NetstringError):
        encode(b"x" * ((1 << 20) + 1))
