"""ctrl_tcp messages as baresip 1.0.0 sends them (captured on this machine), and garbage."""

from __future__ import annotations

import json

import pytest

from firmware.phone.protocol import (
    CallEvent,
    OtherEvent,
    ProtocolError,
    Response,
    acd_call_id,
    decode,
    encode_command,
)

# Captured from baresip-core 1.0.0 (Debian 12) with sipp calling sip:Q-1@10.77.0.1
INCOMING = (
    b'{"event":true,"type":"CALL_INCOMING","class":"call","accountaor":"sip:Q-1@10.77.0.1",'
    b'"direction":"incoming","peeruri":"sip:caller1@10.77.0.1:5070","peerdisplayname":"caller",'
    b'"id":"1-16382@10.77.0.1","param":"sip:caller1@10.77.0.1:5070"}'
)
LOCAL_SDP = (
    b'{"event":true,"type":"CALL_LOCAL_SDP","class":"other","accountaor":"sip:Q-1@10.77.0.1",'
    b'"direction":"incoming","peeruri":"sip:sipp@10.77.0.1:5070","id":"1-1@x","param":"answer"}'
)
UAFIND = b'{"response":true,"ok":true,"data":"ua: sip:Q-1@10.77.0.1\\n","token":"7"}'


def test_call_event() -> None:
    assert decode(INCOMING) == CallEvent(
        "CALL_INCOMING",
        "sip:Q-1@10.77.0.1",
        "1-16382@10.77.0.1",
        "incoming",
        "sip:caller1@10.77.0.1:5070",
        "sip:caller1@10.77.0.1:5070",
    )


def test_response_and_other_events() -> None:
    assert decode(UAFIND) == Response("7", True, "ua: sip:Q-1@10.77.0.1\n")
    assert decode(LOCAL_SDP) == OtherEvent("CALL_LOCAL_SDP")
    assert decode(b'{"event":true,"type":"EXIT","class":"application"}') == OtherEvent("EXIT")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1,2]", "expected a JSON object, got list"),
        (b'{"response":true,"token":"1"}', "response without a boolean 'ok'"),
        (b'{"hello":1}', "neither a response nor an event"),
        (INCOMING.replace(b'"1-16382@10.77.0.1"', b"42"), "'id': expected a string, got int"),
        (
            INCOMING.replace(b'"accountaor":"sip:Q-1@10.77.0.1",', b""),
            "'accountaor': expected a string, got NoneType",
        ),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_garbage_is_a_protocol_error(payload: bytes, message: str) -> None:
    with pytest.raises(ProtocolError) as err:
        decode(payload)
    assert str(err.value).startswith(message)


def test_over_long_fields_are_refused() -> None:
    obj = json.loads(INCOMING)
    obj["peeruri"] = "sip:" + "a" * 5000
    with pytest.raises(ProtocolError, match="too long"):
        decode(json.dumps(obj).encode())


def test_commands() -> None:
    assert json.loads(encode_command("uafind", "sip:Q-1@10.77.0.1", "3")) == {
        "command": "uafind",
        "params": "sip:Q-1@10.77.0.1",
        "token": "3",
    }
    assert json.loads(encode_command("accept", None, "4")) == {"command": "accept", "token": "4"}
    with pytest.raises(ProtocolError):
        encode_command("dial", "sip:1@x\nquit", "5")  # one line only
    with pytest.raises(ProtocolError):
        encode_command("Dial;rm", None, "6")


@pytest.mark.parametrize(
    ("sip_id", "expected"),
    [
        ("1-16382@10.77.0.1", "1-16382@10.77.0.1"),
        ("#out7", "sip-"),
        ("a b", "sip-"),
        ("x" * 129, "sip-"),
        ("caf\u00e9", "sip-"),
    ],
)
def test_acd_call_ids(sip_id: str, expected: str) -> None:
    got = acd_call_id(sip_id)
    assert got.startswith(expected) and not got.startswith("#")
    if expected == "sip-":
        assert len(got) == 24 and acd_call_id(sip_id) == got  # stable digest
