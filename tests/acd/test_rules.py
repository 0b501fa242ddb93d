"""Every rule of DESIGN.md 2.2–2.4 and 2.7, each as a short event script through replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acd.replaying import at, brief, of, replay, times


def config(
    tmp_path: Path, agents: str = "A", acd: str = "", queue: str = "", extra: str = ""
) -> Path:
    """A config with queue Q and the named agents (comma-separated; `id:key=value;...`)."""
    text = f'[acd]\n{acd}\n[[acd.queues]]\nname = "Q"\n{queue}\n'
    for spec in agents.split(","):
        name, _, opts = spec.partition(":")
        text += f'[[acd.agents]]\nid = "{name}"\nqueues = ["Q"]\n'
        for opt in filter(None, opts.split(";")):
            text += opt + "\n"
    path = tmp_path / "site.toml"
    path.write_text(text + extra)
    return path


def run(tmp_path: Path, events: list[dict[str, Any]], **cfg: str) -> list[dict[str, Any]]:
    return replay(config(tmp_path, **cfg), events, tmp_path)


def call(t: float, c: str = "C", **kw: Any) -> dict[str, Any]:
    return {"t": t, "event": "call_arrived", "call": c, "queue": "Q", **kw}


def ev(t: float, name: str, agent: str = "A", **kw: Any) -> dict[str, Any]:
    return {"t": t, "event": name, "agent": agent, **kw}


# -- statuses and reasons ---------------------------------------------------------------


@pytest.mark.parametrize("reason", ["no_answer", "post_call", "preview", "reserved"])
def test_a_user_never_picks_a_system_reason(tmp_path: Path, reason: str) -> None:
    rec = run(tmp_path, [ev(0, "set_status", status="withdrawn", reason=reason)])
    assert [brief(r)[:2] for r in rec] == [("REJECTED", "ERR_FORBIDDEN_REASON")]
    assert rec[0]["line"] == 1


def test_a_supervisor_cannot_pick_a_system_reason_either(tmp_path: Path) -> None:
    events = [ev(0, "set_status", status="withdrawn", reason="no_answer", by="supervisor")]
    assert of(run(tmp_path, events), "REJECTED", error="ERR_FORBIDDEN_REASON")


def test_a_hangup_does_not_turn_a_user_withdrawal_into_post_call(tmp_path: Path) -> None:
    events = [
        call(0),
        ev(1, "hook", off_hook=True),
        ev(5, "set_status", status="withdrawn", reason="debrief"),
        ev(9, "hook", off_hook=False),
    ]
    rec = run(tmp_path, events, acd="wrapup = 30")
    assert [(r["to"], r["reason"], r["origin"]) for r in of(rec, "STATUS_CHANGED")] == [
        ("withdrawn", "debrief", "user")
    ]


def test_a_supervisor_change_is_journaled_as_such(tmp_path: Path) -> None:
    rec = run(tmp_path, [ev(0, "set_status", status="unavailable", by="supervisor")])
    assert brief(rec[0]) == ("STATUS_CHANGED", "A", "ready", "unavailable", "manual", "supervisor")


# -- eligibility ------------------------------------------------------------------------


def test_never_offer_to_an_off_hook_agent(tmp_path: Path) -> None:
    rec = run(tmp_path, [ev(0, "hook", off_hook=True), call(1), ev(30, "hook", off_hook=False)])
    assert times(rec, "OFFER_STARTED")[0] == 30


def test_an_unplugged_headset_gets_no_offer_until_replugged(tmp_path: Path) -> None:
    events = [ev(0, "device", connected=False), call(1), ev(40, "device", connected=True)]
    rec = run(tmp_path, events)
    assert times(rec, "OFFER_STARTED")[0] == 40


def test_agents_without_a_hook_device_answer_and_hang_up(tmp_path: Path) -> None:
    events = [call(0), ev(3, "answer"), ev(9, "hangup"), ev(10, "hook", off_hook=True)]
    rec = run(tmp_path, events, agents="A:hook_device = false")
    assert times(rec, "CALL_CONNECTED") == [3]
    assert brief(of(rec, "CALL_ENDED")[0]) == ("CALL_ENDED", "C", "A", "agent_hangup")
    assert of(rec, "REJECTED", error="ERR_NO_HOOK_DEVICE")


def test_only_queue_members_are_offered(tmp_path: Path) -> None:
    path = config(tmp_path, agents="A")
    path.write_text(
        path.read_text() + '[[acd.queues]]\nname = "R"\n[[acd.agents]]\nid = "Z"\nqueues = ["R"]\n'
    )
    rec = replay(path, [call(0), ev(1, "set_status", status="unavailable")], tmp_path)
    assert {r["agent"] for r in of(rec, "OFFER_STARTED")} == {"A"}


# -- offer outcomes ---------------------------------------------------------------------


def test_refusal_counts_and_blocks_for_the_retry_delay(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(2, "refuse")])
    assert at(rec, 2) == [("OFFER_ENDED", "A", "C", "REFUSED"), ("COUNTER_CHANGED", "A", 1)]
    assert times(rec, "OFFER_STARTED")[:2] == [0, 7]


def test_an_answer_exactly_at_the_deadline_is_late(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(15, "hook", off_hook=True)])
    assert at(rec, 15)[0] == ("OFFER_ENDED", "A", "C", "NO_ANSWER")
    assert not of(rec, "CALL_CONNECTED")


def test_an_answer_resets_the_counter(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(21, "hook", off_hook=True)])
    assert [r["value"] for r in of(rec, "COUNTER_CHANGED")] == [1, 0]


def test_caller_abandons_while_waiting_and_while_ringing(tmp_path: Path) -> None:
    events = [
        ev(0, "set_status", status="unavailable"),
        call(1, "W"),
        {"t": 2, "event": "caller_hangup", "call": "W"},
        ev(3, "set_status", status="ready"),
        call(4, "R"),
        {"t": 5, "event": "caller_hangup", "call": "R"},
    ]
    rec = run(tmp_path, events)
    assert at(rec, 2) == [("CALL_ENDED", "W", None, "caller_abandoned")]
    assert at(rec, 5) == [
        ("OFFER_ENDED", "A", "R", "CALLER_ABANDONED"),
        ("CALL_ENDED", "R", None, "caller_abandoned"),
    ]
    assert [r["value"] for r in of(rec, "COUNTER_CHANGED")] == []


def test_a_status_change_cancels_the_ringing_offer_and_the_call_keeps_its_rank(
    tmp_path: Path,
) -> None:
    events = [
        call(0, "C1"),
        call(1, "C2"),
        ev(2, "set_status", status="withdrawn", reason="break"),
        ev(3, "set_status", status="ready", agent="B"),
    ]
    rec = run(tmp_path, events, agents='A,B:status = "unavailable"')
    assert at(rec, 2) == [
        ("OFFER_ENDED", "A", "C1", "CANCELLED"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "break", "user"),
    ]
    assert at(rec, 3)[-1] == ("OFFER_STARTED", "B", "C1")


def test_unplugging_mid_offer_is_unreachable_not_a_failure(tmp_path: Path) -> None:
    events = [call(0), ev(3, "device", connected=False), ev(10, "device", connected=True)]
    rec = run(tmp_path, events)
    assert at(rec, 3) == [
        ("DEVICE_CHANGED", "A", False),
        ("OFFER_ENDED", "A", "C", "UNREACHABLE"),
    ]
    assert at(rec, 10) == [("DEVICE_CHANGED", "A", True), ("OFFER_STARTED", "A", "C")]
    assert not [r for r in of(rec, "COUNTER_CHANGED") if r["t"] <= 10]


def test_unplugging_during_a_call_does_not_end_it(tmp_path: Path) -> None:
    events = [call(0), ev(1, "hook", off_hook=True), ev(5, "device", connected=False)]
    events += [ev(30, "call_end")]
    rec = run(tmp_path, events)
    assert times(rec, "CALL_ENDED") == [30]


def test_any_manual_change_resets_the_counter_even_ready_to_ready(tmp_path: Path) -> None:
    rec = run(
        tmp_path,
        [
            call(0),
            {"t": 16, "event": "caller_hangup", "call": "C"},
            ev(17, "set_status", status="ready"),
        ],
    )
    assert at(rec, 17) == [("COUNTER_CHANGED", "A", 0)]


def test_rona_never_expires_and_return_home_does_not_clear_it(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(1000, "return_home")], acd="max_failed_offers = 1")
    assert [(r["to"], r["reason"]) for r in of(rec, "STATUS_CHANGED")] == [
        ("withdrawn", "no_answer")
    ]
    assert max(r["value"] for r in of(rec, "COUNTER_CHANGED")) == 1


# -- wrap-up, preview, dialing ------------------------------------------------------------


def test_manual_ready_during_wrapup_makes_the_agent_eligible_at_once(tmp_path: Path) -> None:
    events = [call(0), ev(1, "hook", off_hook=True), ev(10, "hook", off_hook=False)]
    events += [call(11, "C2"), ev(12, "set_status", status="ready")]
    rec = run(tmp_path, events, acd="wrapup = 60")
    assert at(rec, 12)[-1] == ("OFFER_STARTED", "A", "C2")
    assert not of(rec, "STATUS_CHANGED", reason="wrapup_end")


def test_return_home_after_a_manual_change_does_nothing(tmp_path: Path) -> None:
    events = [
        ev(0, "open_contact", campaign="K"),
        ev(5, "set_status", status="withdrawn", reason="manual"),
        ev(9, "return_home"),
    ]
    rec = run(tmp_path, events, extra='[[acd.campaigns]]\nname = "K"\n')
    assert [r["reason"] for r in of(rec, "STATUS_CHANGED")] == ["preview", "manual"]


def test_unknown_campaign_and_no_auto_withdraw(tmp_path: Path) -> None:
    events = [ev(0, "open_contact", campaign="X"), ev(1, "open_contact", campaign="K")]
    rec = run(tmp_path, events, extra='[[acd.campaigns]]\nname = "K"\nauto_withdraw = false\n')
    assert [brief(r)[:2] for r in rec] == [("REJECTED", "ERR_UNKNOWN_CAMPAIGN")]


@pytest.mark.parametrize(
    ("number", "kept"),
    [
        ("+1 (415) 555-0100", "+14155550100"),
        ("01161123456789", "01161123456789"),
        ("*67 415.555.0100 #", "*674155550100#"),
        ("911", "911"),
        ("1:2:3", "1:2:3"),
        ("+123456789012345678", "+123456789012345678"),
    ],
)
def test_dialing_normalises(tmp_path: Path, number: str, kept: str) -> None:
    rec = run(tmp_path, [ev(0, "dial", number=number)])
    assert [brief(r) for r in rec] == [("DIALED", "A", kept)]


@pytest.mark.parametrize("number", ["12", "abc", "", "+1234567890123456789", "*#*#"])
def test_dialing_rejects_bad_lengths(tmp_path: Path, number: str) -> None:
    rec = run(tmp_path, [ev(0, "dial", number=number)])
    assert [brief(r)[:2] for r in rec] == [("REJECTED", "ERR_NUMBER_LENGTH")]


def test_dial_in_any_status_changes_no_status_and_needs_no_wrapup(tmp_path: Path) -> None:
    events = [ev(0, "set_status", status="unavailable"), ev(1, "dial", number="5551234")]
    events += [call(2), ev(3, "call_end"), ev(4, "set_status", status="ready")]
    rec = run(tmp_path, events, acd="wrapup = 30")
    assert [r["to"] for r in of(rec, "STATUS_CHANGED")][:2] == ["unavailable", "ready"]
    assert times(rec, "OFFER_STARTED")[0] == 4
    assert not of(rec, "STATUS_CHANGED", reason="post_call")


def test_dial_while_ringing_or_in_a_call_is_busy(tmp_path: Path) -> None:
    events = [call(0), ev(1, "dial", number="5551234"), ev(2, "answer")]
    events += [ev(3, "dial", number="5551234")]
    rec = run(tmp_path, events, agents="A:hook_device = false")
    assert [r["line"] for r in of(rec, "REJECTED", error="ERR_BUSY")] == [2, 4]


def test_an_outbound_call_makes_the_agent_busy(tmp_path: Path) -> None:
    events = [ev(0, "dial", number="5551234"), call(1), ev(20, "hangup")]
    rec = run(tmp_path, events, agents="A:hook_device = false")
    assert times(rec, "OFFER_STARTED")[0] == 20


# -- priorities and overflow -------------------------------------------------------------


def test_priority_then_fifo(tmp_path: Path) -> None:
    events = [ev(0, "set_status", status="unavailable")]
    events += [call(1, "L1"), call(2, "H1", priority=9), call(3, "L2"), call(4, "H2", priority=9)]
    events += [ev(5, "set_status", status="ready")]
    for i, t in enumerate((6, 20, 34, 48)):
        events += [ev(t, "answer"), ev(t + 1, "hangup")]
        del i
    rec = run(tmp_path, events, agents="A:hook_device = false")
    assert [r["call"] for r in of(rec, "OFFER_STARTED")] == ["H1", "H2", "L1", "L2"]


@pytest.mark.parametrize("priority", [-1, 256, 1.5, "high", True])
def test_bad_priorities_are_rejected(tmp_path: Path, priority: Any) -> None:
    rec = run(tmp_path, [call(0, priority=priority)])
    assert [brief(r)[:2] for r in rec] == [("REJECTED", "ERR_PRIORITY")]


def test_wait_time_2_when_nobody_is_ready_or_withdrawn(tmp_path: Path) -> None:
    rec = replay("waits.toml", [ev(0, "set_status", status="unavailable"), call(1)], tmp_path)
    assert [(r["t"], r["reason"]) for r in of(rec, "CALL_OVERFLOW")] == [(11, "WAIT_TIME_2")]


def test_a_status_change_can_overflow_a_call_at_once(tmp_path: Path) -> None:
    events = [call(0), ev(30, "set_status", status="unavailable")]
    rec = replay("waits.toml", events, tmp_path)
    assert at(rec, 30)[-1] == ("CALL_OVERFLOW", "C", "WAIT_TIME_2")


def test_max_wait_applies_whatever_the_status(tmp_path: Path) -> None:
    events = [ev(0, "hook", off_hook=True), call(1)]
    rec = run(tmp_path, events, queue="max_wait = 30")
    assert [(r["t"], r["reason"]) for r in of(rec, "CALL_OVERFLOW")] == [(31, "MAX_WAIT")]


def test_a_full_queue_overflows_arrivals(tmp_path: Path) -> None:
    events = [ev(0, "hook", off_hook=True), call(1, "C1"), call(2, "C2"), call(3, "C3")]
    rec = run(tmp_path, events, queue="max_queue_len = 2")
    assert [brief(r) for r in of(rec, "CALL_OVERFLOW")] == [("CALL_OVERFLOW", "C3", "FULL")]
    assert not of(rec, "CALL_ENQUEUED", call="C3")


# -- strategies -------------------------------------------------------------------------


def _strategy_offers(tmp_path: Path, strategy: str, agents: str, n: int) -> list[str]:
    """Who is offered each of n calls whose callers give up after a second (not counted)."""
    events: list[dict[str, Any]] = []
    for i in range(n):
        events += [
            call(i * 10, f"C{i}"),
            {"t": i * 10 + 1, "event": "caller_hangup", "call": f"C{i}"},
        ]
    rec = run(tmp_path, events, agents=agents, queue=f'strategy = "{strategy}"')
    return [r["agent"] for r in of(rec, "OFFER_STARTED")]


def test_round_robin_goes_round_in_id_order(tmp_path: Path) -> None:
    assert _strategy_offers(tmp_path, "round_robin", "B,C,A", 4) == ["A", "B", "C", "A"]


def test_linear_takes_the_first_eligible_in_config_order(tmp_path: Path) -> None:
    assert _strategy_offers(tmp_path, "linear", "C,A,B", 3) == ["C", "C", "C"]


def test_longest_idle_honours_penalties(tmp_path: Path) -> None:
    assert _strategy_offers(
        tmp_path, "longest_idle", "A:penalty = 2,B:penalty = 1,C:penalty = 3", 2
    ) == ["B", "B"]


def test_ring_all_rings_everyone_and_the_others_lose_the_race(tmp_path: Path) -> None:
    events = [call(0), ev(3, "hook", off_hook=True, agent="B")]
    rec = run(tmp_path, events, agents="A,B,C", queue='strategy = "ring_all"')
    assert at(rec, 0)[1:] == [
        ("OFFER_STARTED", "A", "C"),
        ("OFFER_STARTED", "B", "C"),
        ("OFFER_STARTED", "C", "C"),
    ]
    assert at(rec, 3)[1:] == [
        ("OFFER_ENDED", "B", "C", "ANSWERED"),
        ("OFFER_ENDED", "A", "C", "LOST_RACE"),
        ("OFFER_ENDED", "C", "C", "LOST_RACE"),
        ("CALL_CONNECTED", "B", "C"),
    ]


def test_ring_all_requeues_when_every_offer_failed(tmp_path: Path) -> None:
    events = [call(0), ev(1, "refuse"), ev(2, "set_status", status="ready", agent="C")]
    events += [ev(3, "refuse", agent="B")]
    rec = run(
        tmp_path,
        events,
        agents='A,B,C:status = "unavailable"',
        queue='strategy = "ring_all"',
        acd="retry_delay = 10",
    )
    # C became eligible during the ring: it does not join; the call comes back when B refuses
    assert at(rec, 3)[-1] == ("OFFER_STARTED", "C", "C")


# -- logout and login -------------------------------------------------------------------


def test_negotiated_logout_waits_for_the_call(tmp_path: Path) -> None:
    events = [
        call(0),
        ev(1, "hook", off_hook=True),
        ev(2, "logout"),
        ev(40, "hook", off_hook=False),
    ]
    rec = run(tmp_path, events, acd="wrapup = 30")
    assert at(rec, 40) == [
        ("HOOK_CHANGED", "A", False),
        ("CALL_ENDED", "C", "A", "agent_hangup"),
        ("LOGOUT_DONE", "A"),
        ("STATUS_CHANGED", "A", "ready", "logged_out", "logout", "user"),
    ]


def test_negotiated_logout_stops_new_offers_at_once(tmp_path: Path) -> None:
    rec = run(tmp_path, [ev(0, "logout"), call(1)])
    assert not of(rec, "OFFER_STARTED")


def test_negotiated_logout_waits_for_the_ringing_offer(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(1, "logout")])
    assert at(rec, 15) == [
        ("OFFER_ENDED", "A", "C", "NO_ANSWER"),
        ("COUNTER_CHANGED", "A", 1),
        ("LOGOUT_DONE", "A"),
        ("STATUS_CHANGED", "A", "ready", "logged_out", "logout", "user"),
        ("COUNTER_CHANGED", "A", 0),  # the user's own change resets the counter
    ]


def test_immediate_logout_cancels_the_ringing_offer(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0), ev(1, "logout", immediate=True, by="supervisor")])
    assert at(rec, 1) == [
        ("OFFER_ENDED", "A", "C", "CANCELLED"),
        ("LOGOUT_DONE", "A"),
        ("STATUS_CHANGED", "A", "ready", "logged_out", "logout", "supervisor"),
    ]


def test_immediate_logout_lets_the_call_go_on(tmp_path: Path) -> None:
    events = [call(0), ev(1, "hook", off_hook=True), ev(2, "logout", immediate=True)]
    events += [ev(50, "call_end")]
    rec = run(tmp_path, events, acd="wrapup = 30")
    assert times(rec, "LOGOUT_DONE") == [2]
    assert at(rec, 50) == [("CALL_ENDED", "C", "A", "remote_hangup")]


def test_call_end_naming_its_call_cannot_end_the_next_one(tmp_path: Path) -> None:
    """A late BYE for C (already over) arrives while A talks on D: refused, D goes on."""
    events = [call(0), ev(1, "hook", off_hook=True), ev(5, "call_end", call="C")]
    events += [ev(6, "hook", off_hook=False), call(40, "D"), ev(41, "hook", off_hook=True)]
    events += [ev(50, "call_end", call="C"), ev(60, "call_end", call="D")]
    rec = run(tmp_path, events, acd="wrapup = 0")
    assert at(rec, 5) == [("CALL_ENDED", "C", "A", "remote_hangup")]
    assert [b[:2] for b in at(rec, 50)] == [("REJECTED", "ERR_NOT_THAT_CALL")]
    assert at(rec, 60) == [("CALL_ENDED", "D", "A", "remote_hangup")]


def test_login_after_logout(tmp_path: Path) -> None:
    events = [ev(0, "login"), ev(1, "logout", immediate=True), ev(2, "set_status", status="ready")]
    events += [ev(3, "login"), call(4)]
    rec = run(tmp_path, events)
    assert [r["error"] for r in of(rec, "REJECTED")] == ["ERR_LOGGED_IN", "ERR_LOGGED_OUT"]
    assert [brief(r) for r in of(rec, "STATUS_CHANGED", reason="login")] == [
        ("STATUS_CHANGED", "A", "logged_out", "ready", "login", "user")
    ]
    assert times(rec, "OFFER_STARTED")[0] == 4


def test_a_logged_out_start_status_gets_no_calls(tmp_path: Path) -> None:
    rec = run(tmp_path, [call(0)], agents='A:status = "logged_out"', queue="wait_time_2 = 5")
    assert [(r["t"], r["reason"]) for r in of(rec, "CALL_OVERFLOW")] == [(5, "WAIT_TIME_2")]


# -- bad input ----------------------------------------------------------------------------


def test_unknown_things_are_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    events: list[Any] = [
        ev(0, "answer", agent="Z"),
        {"t": 0, "event": "caller_hangup", "call": "nope"},
        {"t": 0, "event": "call_arrived", "call": "C", "queue": "nope"},
        ev(0, "refuse"),
        ev(0, "answer"),
        {"t": 0, "event": "teleport"},
        {"t": 0},
        ["not", "an", "object"],
        {"event": "advance"},
        {"t": -1, "event": "advance"},
        ev(0, "hook", off_hook="yes"),
        ev(0, "set_status", status="logged_out"),
        ev(0, "set_status", status="ready", by="god"),
        call(0),
    ]
    rec = run(tmp_path, events)
    assert [r["error"] for r in of(rec, "REJECTED")] == [
        "ERR_UNKNOWN_AGENT",
        "ERR_UNKNOWN_CALL",
        "ERR_UNKNOWN_QUEUE",
        "ERR_NO_OFFER",
        "ERR_NO_OFFER",
        "ERR_UNKNOWN_EVENT",
        "ERR_MALFORMED",
        "ERR_MALFORMED",
        "ERR_MALFORMED",
        "ERR_MALFORMED",
        "ERR_MALFORMED",
        "ERR_BAD_STATUS",
        "ERR_BAD_ORIGIN",
    ]
    assert [r["line"] for r in of(rec, "REJECTED")] == list(range(1, 14))
    assert of(rec, "OFFER_STARTED", call="C")


def test_garbage_lines_and_time_going_backwards(tmp_path: Path) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('{"t": 5, "event": "advance"}\n\n\x00\xff{{\n{"t": 1, "event": "advance"}\n')
    rec = replay(config(tmp_path), script)
    assert [(r["error"], r["line"]) for r in rec] == [
        ("ERR_MALFORMED", 3),
        ("ERR_TIME_BACKWARDS", 4),
    ]
