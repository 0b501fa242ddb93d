"""The adapter's mapping between baresip call events and the ACD, without baresip: events
in, ACD events and queued command sequences out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from firmware.acd.records import Record
from firmware.config.phone import PhoneConfig
from firmware.phone.line import PhoneLine
from firmware.phone.protocol import CallEvent

Q1, Q2 = "sip:Q-1@192.0.2.10", "sip:Q-2@192.0.2.10"
PHONE = PhoneConfig(address="192.0.2.10", lines={"Q": 2}, trunk="sip:{number}@pbx.example")


def rec(seq: int, rtype: str, **fields: Any) -> Record:
    return Record(seq, 0.0, rtype, tuple(fields.items()))


def ev(etype: str, aor: str, call_id: str, direction: str = "incoming") -> CallEvent:
    return CallEvent(etype, aor, call_id, direction, "sip:caller@198.51.100.7", "")


def work(line: PhoneLine) -> list[tuple[str, str]]:
    out = []
    while not line._work.empty():
        w = line._work.get_nowait()
        out.append((w.kind, w.call.call))
    return out


def run(test: Any) -> None:
    async def main() -> None:
        test(PhoneLine(PHONE, ["Q"], Path("/nonexistent")))

    asyncio.run(main())


def test_incoming_call_arrives_in_the_line_queue_and_is_answered_on_connect() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q2, "abc@x"))
        assert line.ready_events() == [{"event": "call_arrived", "call": "abc@x", "queue": "Q"}]
        line.execute(rec(1, "CALL_ENQUEUED", call="abc@x", queue="Q", priority=0))
        line.execute(rec(2, "OFFER_STARTED", agent="alice", call="abc@x"))
        assert work(line) == []  # ringing is the headset's business; the caller hears 180
        line.execute(rec(3, "CALL_CONNECTED", agent="alice", call="abc@x"))
        assert work(line) == [("answer", "abc@x")]
        line.on_call_event(ev("CALL_ESTABLISHED", Q2, "abc@x"))
        line.on_call_event(ev("CALL_CLOSED", Q2, "abc@x"))  # the caller's BYE
        assert line.ready_events() == [{"event": "call_end", "agent": "alice", "call": "abc@x"}]
        line.on_call_event(ev("CALL_CLOSED", Q2, "abc@x"))  # a repeat changes nothing
        assert line.ready_events() == []

    run(check)


def test_caller_giving_up_before_an_answer_is_caller_hangup() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "c1"))
        line.on_call_event(ev("CALL_CLOSED", Q1, "c1"))
        assert [e["event"] for e in line.ready_events()] == ["call_arrived", "caller_hangup"]

    run(check)


def test_acd_ending_a_call_hangs_up_once_and_its_close_event_is_not_echoed() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "c1"))
        line.execute(rec(1, "CALL_CONNECTED", agent="bob", call="c1"))
        line.execute(rec(2, "CALL_ENDED", call="c1", agent="bob", reason="agent_hangup"))
        line.execute(rec(3, "CALL_ENDED", call="c1", agent="bob", reason="agent_hangup"))
        assert work(line) == [("answer", "c1"), ("hangup", "c1")]
        line.on_call_event(ev("CALL_CLOSED", Q1, "c1"))
        assert [e["event"] for e in line.ready_events()] == ["call_arrived"]

    run(check)


def test_overflow_rejects_the_waiting_call() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "c1"))
        line.execute(rec(1, "CALL_OVERFLOW", call="c1", reason="FULL"))
        assert work(line) == [("hangup", "c1")]  # unanswered: baresip answers 486

    run(check)


def test_both_sides_hanging_up_at_once_ends_the_call_once() -> None:
    """The far end's BYE is queued as call_end, then the ACD ends the call on the hook:
    the queued call_end must not reach the ACD (it would end the agent's next call)."""

    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "c1"))
        assert len(line.ready_events()) == 1
        line.execute(rec(1, "CALL_CONNECTED", agent="bob", call="c1"))
        line.on_call_event(ev("CALL_CLOSED", Q1, "c1"))
        line.execute(rec(2, "CALL_ENDED", call="c1", agent="bob", reason="agent_hangup"))
        assert line.ready_events() == []

    run(check)


def test_sip_garbage_never_reaches_the_acd() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", "sip:intruder@192.0.2.10", "x1"))
        line.on_call_event(ev("CALL_INCOMING", Q1, "dup"))
        line.on_call_event(ev("CALL_INCOMING", Q2, "dup"))  # same Call-ID on another line
        line.on_call_event(ev("CALL_INCOMING", Q2, "y", direction="outgoing"))
        line.on_call_event(ev("CALL_CLOSED", Q2, "never-seen"))
        assert line.ready_events() == [{"event": "call_arrived", "call": "dup", "queue": "Q"}]
        assert line.stats["garbage"] == 2
        assert work(line) == [("hangup", "dup")]  # the duplicate is refused at SIP level
        assert list(line.calls) == ["dup"] and line.calls["dup"].line.aor == Q1

    run(check)


def test_a_lost_baresip_ends_each_call_once() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "waiting"))
        line.on_call_event(ev("CALL_INCOMING", Q2, "talking"))
        line.execute(rec(1, "CALL_CONNECTED", agent="carol", call="talking"))
        line.ready_events()
        line._line_lost()
        line._line_lost()
        assert line.ready_events() == [
            {"event": "caller_hangup", "call": "waiting"},
            {"event": "call_end", "agent": "carol", "call": "talking"},
        ]
        line.on_call_event(ev("CALL_CLOSED", Q2, "talking"))  # late news from the dead
        assert line.ready_events() == [] and line.stats["lost_calls"] == 2

    run(check)


def test_outbound_dial_uses_a_free_line_and_the_trunk() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q1, "in"))
        line.execute(rec(9, "DIALED", agent="dave", number="+14155550100"))
        assert work(line) == [("dial", "#out9")]
        assert line.calls["#out9"].line.aor == Q2
        line.on_call_event(ev("CALL_ESTABLISHED", Q2, "sip-out-1", direction="outgoing"))
        line.on_call_event(ev("CALL_CLOSED", Q2, "sip-out-1", direction="outgoing"))
        events = line.ready_events()
        assert events[-1] == {"event": "call_end", "agent": "dave", "call": "#out9"}

    run(check)


def test_dial_without_a_trunk_ends_the_agent_call_at_once() -> None:
    async def main() -> None:
        line = PhoneLine(PhoneConfig(address="192.0.2.10"), ["Q"], Path("/nonexistent"))
        line.execute(rec(4, "DIALED", agent="erin", number="123"))
        assert line.ready_events() == [{"event": "call_end", "agent": "erin", "call": "#out4"}]
        assert work(line) == []

    asyncio.run(main())


def test_hold_and_resume_of_the_customer_go_to_baresip() -> None:
    def check(line: PhoneLine) -> None:
        line.on_call_event(ev("CALL_INCOMING", Q2, "held@x"))
        line.ready_events()
        line.execute(rec(3, "CALL_CONNECTED", agent="alice", call="held@x"))
        assert work(line) == [("answer", "held@x")]
        line.execute(rec(4, "HOLD_CHANGED", call="held@x", party="customer", held=True))
        line.execute(rec(5, "HOLD_CHANGED", call="held@x", party="consulted", held=True))
        line.execute(rec(6, "HOLD_CHANGED", call="held@x", party="customer", held=False))
        line.execute(rec(7, "HOLD_CHANGED", call="other@x", party="customer", held=True))
        # the consulted party is another agent (no SIP leg here); an unknown call is not ours
        assert work(line) == [("hold", "held@x"), ("resume", "held@x")]

    run(check)
