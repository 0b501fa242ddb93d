"""The worked scenarios of DESIGN.md 2.6, each an event script in tests/data/acd run through
`deskgate replay`."""

from __future__ import annotations

from tests.acd.replaying import at, brief, of, replay, times


def test_1_answer_by_hook() -> None:
    rec = replay("basic.toml", "01_answer.jsonl")
    assert at(rec, 0) == [("CALL_ENQUEUED", "C", "Q", 0), ("OFFER_STARTED", "A", "C")]
    assert at(rec, 4) == [
        ("HOOK_CHANGED", "A", True),
        ("OFFER_ENDED", "A", "C", "ANSWERED"),
        ("CALL_CONNECTED", "A", "C"),
    ]


def test_2_ring_timeout_keeps_the_call_rank() -> None:
    rec = replay("basic_ab.toml", "02_ring_timeout_keeps_rank.jsonl")
    assert at(rec, 15) == [
        ("OFFER_ENDED", "A", "C1", "NO_ANSWER"),  # the timer goes before the event at 15
        ("COUNTER_CHANGED", "A", 1),
        ("STATUS_CHANGED", "B", "withdrawn", "ready", "manual", "user"),
        ("OFFER_STARTED", "B", "C1"),  # C1 is older than C2: it keeps its rank
    ]
    assert times(rec, "OFFER_STARTED", agent="A", call="C2") == [20]  # retry delay, not before
    assert [(r["t"], r["agent"], r["call"]) for r in of(rec, "CALL_CONNECTED")] == [
        (16, "B", "C1"),
        (21, "A", "C2"),
    ]


def test_3_five_failures_withdraw_the_agent() -> None:
    rec = replay("basic.toml", "03_five_failures.jsonl")
    assert times(rec, "OFFER_STARTED", agent="A") == [0, 20, 40, 60, 80]
    assert times(rec, "OFFER_ENDED", outcome="NO_ANSWER") == [15, 35, 55, 75, 95]
    assert [r["value"] for r in of(rec, "COUNTER_CHANGED")] == [1, 2, 3, 4, 5]
    assert [brief(r) for r in of(rec, "STATUS_CHANGED")] == [
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "no_answer", "system")
    ]
    assert times(rec, "STATUS_CHANGED") == [95]
    assert rec[-1]["t"] == 95, "nothing happens once the agent is withdrawn"


def test_4_wrapup_then_ready() -> None:
    rec = replay("wrapup30.toml", "04_wrapup.jsonl")
    assert at(rec, 62) == [
        ("HOOK_CHANGED", "A", False),
        ("CALL_ENDED", "C", "A", "agent_hangup"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]
    assert at(rec, 92) == [("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_end", "system")]


def test_5_preview_dial_and_return_home() -> None:
    rec = replay("campaign.toml", "05_preview_return_home.jsonl")
    statuses = [(r["t"], r["to"], r["reason"], r["origin"]) for r in of(rec, "STATUS_CHANGED")]
    assert statuses == [
        (0, "withdrawn", "preview", "system"),
        (70, "withdrawn", "post_call", "system"),
        (100, "ready", "return_home", "system"),
    ]
    assert of(rec, "DIALED")[0]["number"] == "+14155550100"


def test_5_without_the_profile_right_the_agent_stays_withdrawn() -> None:
    rec = replay("campaign_no_home.toml", "05_preview_return_home.jsonl")
    statuses = [(r["t"], r["to"], r["reason"]) for r in of(rec, "STATUS_CHANGED")]
    assert statuses == [(0, "withdrawn", "preview"), (70, "withdrawn", "post_call")]


def test_6_no_offer_while_the_handset_is_off_hook() -> None:
    rec = replay("wrapup10.toml", "06_hangup_before_next_offer.jsonl")
    assert times(rec, "STATUS_CHANGED", reason="post_call") == [60]
    assert times(rec, "STATUS_CHANGED", reason="wrapup_end") == [70]
    assert times(rec, "OFFER_STARTED", call="C2") == [75]
    assert of(rec, "CALL_CONNECTED", call="C2")[0]["t"] == 76


def test_7_tie_breaks_longest_idle() -> None:
    rec = replay("abcd.toml", "07_tie_breaks.jsonl")
    assert [(r["call"], r["agent"]) for r in of(rec, "OFFER_STARTED") if r["t"] == 0] == [
        ("Y1", "A"),
        ("Y2", "B"),
    ]
    assert [(r["call"], r["agent"]) for r in of(rec, "OFFER_STARTED") if r["t"] == 200] == [
        ("X1", "C"),
        ("X2", "D"),
        ("X3", "B"),
    ]
    assert not of(rec, "OFFER_STARTED", agent="A", call="X1")


def test_8_wait_time_1_overflows() -> None:
    rec = replay("waits.toml", "08_wait_time_1.jsonl")
    assert [(r["t"], brief(r)) for r in of(rec, "CALL_OVERFLOW")] == [
        (60, ("CALL_OVERFLOW", "C", "WAIT_TIME_1"))
    ]


def test_8_an_agent_going_ready_rescues_the_call() -> None:
    rec = replay("waits.toml", "08_wait_time_1_rescued.jsonl")
    assert times(rec, "OFFER_STARTED", agent="A", call="C") == [30]
    assert times(rec, "CALL_CONNECTED") == [31]
    assert not of(rec, "CALL_OVERFLOW")


def test_9_negotiated_logout() -> None:
    rec = replay("basic.toml", "09_negotiated_logout.jsonl")
    assert at(rec, 100) == [("LOGOUT_PENDING", "A", 5)]
    assert at(rec, 105) == [
        ("LOGOUT_DONE", "A"),
        ("STATUS_CHANGED", "A", "ready", "logged_out", "logout", "user"),
    ]
