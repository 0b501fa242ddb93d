"""A console session against a small operation table: tokens, errors, loop-back safety, and
10,000 random byte strings that never stop it from answering the next good request."""

from __future__ import annotations

import random
from typing import Any

from firmware.console import protocol as p
from firmware.console.session import ConsoleSession, OpError
from firmware.console.tokens import TokenCheck, generate


class Counter:
    """Operations over one integer: `status` reads it, `state` increments it, `diag` fails."""

    def __init__(self) -> None:
        self.value = 0
        self.forgotten = 0

    def call(self, request: p.Request, session: ConsoleSession) -> Any:
        if request.op == "hello":
            return {"gateway": "test"}
        if request.op == "status":
            return {"value": self.value}
        if request.op == "state":
            self.value += 1
            return {"value": self.value}
        if request.op == "config_set":
            raise OpError(p.ERR_FAILED, "not applied: bad value")
        raise ZeroDivisionError("boom")

    def forget(self, session: ConsoleSession) -> None:
        self.forgotten += 1


def make(token: str | None = "tok") -> tuple[ConsoleSession, Counter, list[p.Message]]:
    ops, sent = Counter(), []
    decoder = p.FrameDecoder()

    def write(data: bytes) -> None:
        for m in decoder.feed(data):
            assert not isinstance(m, p.ProtocolError), m
            sent.append(m)

    return ConsoleSession("test", write, ops, TokenCheck(token)), ops, sent


def ask(session: ConsoleSession, sent: list[p.Message], request: p.Request) -> p.Reply:
    before = len(sent)
    session.feed(p.encode(request))
    assert len(sent) == before + 1
    reply = sent[-1]
    assert isinstance(reply, p.Reply) and reply.id == request.id
    return reply


def test_hello_negotiates_the_version() -> None:
    session, _, sent = make()
    reply = ask(session, sent, p.Request(1, "hello", {"versions": [1, 2]}))
    assert reply.result == {"version": 1, "gateway": "test"}
    reply = ask(session, sent, p.Request(2, "hello", {"versions": [7]}))
    assert reply.error is not None and reply.error[0] == p.ERR_VERSION


def test_read_only_needs_no_token_mutating_does() -> None:
    session, ops, sent = make()
    assert ask(session, sent, p.Request(1, "status")).result == {"value": 0}
    missing = ask(session, sent, p.Request(2, "state"))
    wrong = ask(session, sent, p.Request(3, "state", token="nope"))
    assert missing.error == (
        p.ERR_TOKEN,
        "this command changes the gateway: give --token or GWCTL_TOKEN",
    )
    assert wrong.error == (p.ERR_TOKEN, "wrong technician token")
    assert ops.value == 0
    assert ask(session, sent, p.Request(4, "state", token="tok")).result == {"value": 1}


def test_without_a_provisioned_token_every_change_is_refused() -> None:
    session, ops, sent = make(token=None)
    reply = ask(session, sent, p.Request(1, "state", token="anything"))
    assert reply.error is not None and reply.error[0] == p.ERR_NO_TOKEN
    assert ops.value == 0


def test_unknown_op_failing_op_and_crashing_op() -> None:
    session, _, sent = make()
    unknown = ask(session, sent, p.Request(1, "reboot"))
    assert unknown.error is not None and unknown.error[0] == p.ERR_UNKNOWN_OP
    failed = ask(session, sent, p.Request(2, "config_set", token="tok"))
    assert failed.error == (p.ERR_FAILED, "not applied: bad value")
    crashed = ask(session, sent, p.Request(3, "logs"))
    assert crashed.error == (p.ERR_INTERNAL, "ZeroDivisionError: boom")
    assert ask(session, sent, p.Request(4, "status")).ok


def test_line_noise_gets_an_error_with_null_id() -> None:
    session, _, sent = make()
    session.feed(b"\x07\x00garbage\n")
    assert sent == [p.Reply.failure(None, p.ERR_FRAME, sent[0].error[1])]  # type: ignore[union-attr]
    assert sent[0].error[1].startswith("offset 0: expected the marker")  # type: ignore[union-attr]


def test_replies_and_events_coming_back_are_never_answered() -> None:
    session, _, sent = make()
    session.feed(p.encode(p.Reply(1, True, None)) + p.encode(p.Event(2, {"type": "X"})))
    assert sent == [] and session.counters["ignored"] == 2


def test_close_forgets_the_session_once() -> None:
    session, ops, sent = make()
    session.close()
    session.close()
    session.feed(p.encode(p.Request(1, "status")))
    assert ops.forgotten == 1 and sent == []  # a closed session writes nothing


def test_ten_thousand_random_byte_strings() -> None:
    rng = random.Random(20261122)
    session, ops, sent = make()
    assert ask(session, sent, p.Request(1, "state", token="tok")).ok
    good = p.encode(p.Request(2, "status"))
    for i in range(10_000):
        kind = i % 4
        if kind == 0:
            data = rng.randbytes(rng.randint(1, 80))
        elif kind == 1:
            data = good[: rng.randint(1, len(good) - 1)]  # truncated frame
        elif kind == 2:
            corrupt = bytearray(good)
            corrupt[rng.randrange(3, len(corrupt) - 1)] ^= 1 << rng.randrange(8)
            data = bytes(corrupt)  # one bit flipped
        else:
            data = b"DG " + rng.randbytes(rng.randint(0, 40)) + b"\n"
        session.feed(data)
    session.feed(b"\n")  # end whatever partial line is left
    assert all(isinstance(m, p.Reply) and not m.ok for m in sent[1:])
    assert ask(session, sent, p.Request(3, "status")).result == {"value": 1}
    assert ops.value == 1  # nothing the noise said changed the state


def test_generate_writes_a_private_token(tmp_path: Any) -> None:
    path = tmp_path / "console.token"
    token = generate(path)
    assert len(token) >= 16 and path.stat().st_mode & 0o777 == 0o600
    assert TokenCheck.from_file(path).token == token
    assert TokenCheck.from_file(tmp_path / "absent").token is None
