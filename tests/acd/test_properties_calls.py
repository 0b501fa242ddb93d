"""Property tests with in-call rules and callbacks in play (hypothesis): at most one of the
customer and the consulted party is on hold after every record; a secure CAD value never
appears in any output; a callback never overtakes a higher-ranked call (nor does any call);
and the journal still rebuilds the same state."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.acd import events as ev
from firmware.acd.core import initial_state, run_timers, step
from firmware.acd.eligibility import is_eligible
from firmware.acd.evolve import apply
from firmware.acd.params import (
    AcdParams,
    AgentParams,
    CadVariable,
    Calendar,
    CampaignParams,
    ContactRule,
    QueueParams,
    Strategy,
)
from firmware.acd.records import Record
from firmware.acd.state import AcdState, state_hash
from firmware.journal.recovery import rebuild
from tests.acd.test_properties import track

AGENTS = ("A", "B", "C", "D")
CALLS = ("C0", "C1", "C2", "C3")
CALLBACKS = ("K0", "K1", "K2")
SECRETS = ("SECRET-4111-AAA", "SECRET-5500-BBB", "SECRET-3782-CCC")
CALENDAR = Calendar(
    dt.date(2026, 11, 23), dt.date(2026, 12, 31), ((9 * 60, 9 * 60 + 2), (10 * 60, 11 * 60)),
    frozenset({dt.date(2026, 11, 24)}),
)  # fmt: skip


@st.composite
def params(draw: st.DrawFn) -> AcdParams:
    rule = ContactRule(
        max_per_agent=draw(st.sampled_from([0, 1])),
        power=draw(st.booleans()),
        max_attempts=draw(st.integers(1, 3)),
        count_operational_errors=draw(st.booleans()),
        priority_order=draw(st.booleans()),
        customer_ring_timeout=draw(st.sampled_from([10, 30])),
        retry_interval=draw(st.sampled_from([0, 30])),
        calendar=draw(st.sampled_from([None, CALENDAR])),
    )
    return AcdParams(
        ring_timeout=draw(st.sampled_from([5, 15])),
        retry_delay=draw(st.sampled_from([0, 5])),
        max_failed_offers=draw(st.integers(1, 3)),
        wrapup=draw(st.sampled_from([0, 10])),
        logout_negotiation=draw(st.sampled_from([0, 5])),
        queues=(
            QueueParams("Q1", draw(st.sampled_from(list(Strategy))), max_wait=draw(
                st.sampled_from([0, 60]))),
            QueueParams("Q2", draw(st.sampled_from(list(Strategy))), wait_time_2=draw(
                st.sampled_from([0, 20]))),
        ),
        agents=(
            AgentParams("A", ("Q1",)),
            AgentParams("B", ("Q1", "Q2"), status=draw(st.sampled_from(["ready", "withdrawn"]))),
            AgentParams("C", ("Q2",), hook_device=False),
            AgentParams("D", ("Q1",), hook_device=False, status="unavailable"),
        ),
        campaigns=(CampaignParams("K"), CampaignParams("CB", rule=rule)),
        wrapup_reasons=draw(st.sampled_from([(), ("sale",)])),
        recording_auto_resume=draw(st.sampled_from([0, 20])),
        cad=(CadVariable("note"), CadVariable("pin", secure=True)),
        max_calls=draw(st.sampled_from([0, 0, 3])),
    )  # fmt: skip


agent = st.sampled_from(AGENTS)
call = st.sampled_from(CALLS)
callback = st.sampled_from(CALLBACKS)
target = st.one_of(
    st.tuples(st.just("agent"), agent),
    st.tuples(st.just("queue"), st.sampled_from(["Q1", "Q2"])),
    st.tuples(st.just("number"), st.sampled_from(["5550100", "12"])),
)
EVENT = st.one_of(
    st.builds(ev.CallArrived, call, st.sampled_from(["Q1", "Q2"]), st.integers(0, 3)),
    st.builds(ev.CallerHangup, st.one_of(call, callback)),
    st.builds(ev.Hook, agent, st.booleans()),
    st.builds(ev.Answer, agent),
    st.builds(ev.Hangup, agent),
    st.builds(ev.Refuse, agent),
    st.builds(ev.CallEnd, agent),
    st.builds(ev.SetStatus, agent, st.sampled_from(["ready", "withdrawn"]), st.just("break")),
    st.builds(ev.OpenContact, agent, st.just("K")),
    st.builds(ev.ReturnHome, agent),
    st.builds(ev.Dial, agent, st.just("5551234")),
    st.builds(ev.Logout, agent, st.booleans()),
    st.builds(ev.Login, agent),
    st.builds(ev.Device, agent, st.booleans()),
    st.builds(ev.WrapupReason, agent, st.sampled_from(["sale", "other"])),
    st.builds(ev.CallbackRequest, callback, st.just("CB"), st.sampled_from(["Q1", "Q2"]),
              st.just("0123456789"), st.integers(0, 3), st.sampled_from([None, 40.0]),
              st.sampled_from([None, "A"])),
    st.builds(ev.CallbackResult, callback, st.sampled_from(
        ["answered", "no_answer", "busy", "network_error"])),
    st.builds(ev.CallbackCancel, callback),
    st.just(ev.Restart()),
)  # fmt: skip
# Pseudo-events expanded at run time from the state, so that random scripts reach the in-call
# rules: every ringing agent answers; every callback being dialled is answered; an in-call
# action by the n-th agent (mod the count) that is connected to a customer call.
ANSWER_ALL, CALLBACKS_ANSWER = "answer all", "callbacks answer"


@dataclass(frozen=True)
class OnCall:
    """An in-call action for whichever agent is on a customer call (`pick` chooses which)."""

    pick: int
    make: Callable[[str], ev.Event]


def _consult(kt: tuple[str, str]) -> Callable[[str], ev.Event]:
    return lambda a: ev.Consult(a, *kt)


def _blind(kt: tuple[str, str]) -> Callable[[str], ev.Event]:
    return lambda a: ev.Transfer(a, *kt)


def _cad(name: str, value: str, version: int) -> Callable[[str], ev.Event]:
    return lambda a: ev.CadSet(a, name, value, version)


ACTION = st.one_of(
    st.just(ev.Hold), st.just(ev.Resume), st.just(ev.Flash), st.just(ev.ConsultEnd),
    st.just(ev.Transfer), st.just(ev.Conference), st.just(ev.Hangup), st.just(ev.CallEnd),
    st.just(ev.RecordingPause), st.just(ev.RecordingResume),
    st.just(lambda a: ev.Hook(a, False)), st.just(lambda a: ev.WrapupReason(a, "sale")),
    st.builds(_consult, target), st.builds(_consult, target), st.builds(_consult, target),
    st.builds(_consult, st.just(("number", "5550100"))), st.just(ev.Flash),
    st.just(ev.Transfer), st.just(ev.Conference), st.builds(_blind, target),
    st.builds(_cad, st.just("pin"), st.sampled_from(SECRETS), st.integers(0, 2)),
    st.builds(_cad, st.just("note"), st.sampled_from(["plain", "x" * 300]), st.integers(0, 2)),
)  # fmt: skip
IN_CALL = st.one_of(
    st.just(ANSWER_ALL),
    st.just(ANSWER_ALL),
    st.just(CALLBACKS_ANSWER),
    st.builds(OnCall, st.integers(0, 3), ACTION),
    st.builds(OnCall, st.integers(0, 3), ACTION),
    st.builds(OnCall, st.integers(0, 3), ACTION),
)
ARRIVAL = st.builds(ev.CallArrived, call, st.sampled_from(["Q1", "Q2"]), st.integers(0, 3))
CALLBACK = st.builds(ev.CallbackRequest, callback, st.just("CB"), st.sampled_from(["Q1", "Q2"]),
                     st.just("0123456789"), st.integers(0, 3))  # fmt: skip
Item = ev.Event | str | OnCall
GAP = st.sampled_from([0, 0, 1, 3, 8, 20])
SCRIPT = st.lists(
    st.one_of(
        st.tuples(GAP, st.one_of(EVENT, ARRIVAL, ARRIVAL, CALLBACK)),
        st.tuples(st.sampled_from([0, 1, 2]), IN_CALL),  # soon: before the offers time out
    ),
    min_size=20,
    max_size=60,
)


def expand(state: AcdState, item: Item) -> list[ev.Event]:
    if item == ANSWER_ALL:
        return [ev.Answer(a.id) for a in state.agents.values() if a.offer is not None]
    if item == CALLBACKS_ANSWER:
        return [ev.CallbackResult(c.id, "answered") for c in list(state.calls.values())
                if c.kind == "callback" and c.state == "dialing"]  # fmt: skip
    if isinstance(item, OnCall):
        # agents on a call, the consulted ones too (their actions are mostly refused)
        on_call = sorted(a.id for a in state.agents.values() if a.call is not None)
        return [item.make(on_call[item.pick % len(on_call)])] if on_call else []
    assert isinstance(item, ev.Event)
    return [item]


def run_script(p: AcdParams, script: list[tuple[int, Item]]) -> tuple[AcdState, list[Record]]:
    """Run the script (a wall clock first, so calendars work); check the per-step invariants."""
    state, journal, t = initial_state(p), [], 0.0
    offers: dict[str, str] = {}
    held: dict[str, set[str]] = defaultdict(set)
    for gap, item in [(0, ev.WallClock("2026-11-23T08:59:00")), *script]:
        t += gap
        if not isinstance(item, ev.Event):  # expanded from the state at t, after its timers
            state, records = run_timers(state, until=t)
            track(records, offers)
            track_holds(records, held, state)
            journal += records
        for event in expand(state, item):
            state, records = step(state, event, t)
            track(records, offers)
            track_holds(records, held, state)
            check_eligibility(state)
            journal += records
    state, records = run_timers(state)
    track(records, offers)
    track_holds(records, held, state)
    return state, journal + records


def track_holds(records: list[Record], held: dict[str, set[str]], state: AcdState) -> None:
    """Follow HOLD_CHANGED records: never both parties held, each change a real change."""
    for r in records:
        if r.type == "HOLD_CHANGED":
            parties = held[r["call"]]
            assert (r["party"] in parties) != r["held"], f"not a change: {r}"
            (parties.add if r["held"] else parties.discard)(r["party"])
            assert len(parties) <= 1, f"customer and consulted party both held: {r}"
        elif r.type == "CALL_ENDED":
            held.pop(r["call"], None)
    for call_id, parties in held.items():
        live = state.calls.get(call_id)
        assert live is None or {live.hold} - {None} == parties, (call_id, live, parties)


def check_eligibility(state: AcdState) -> None:
    for a in state.agents.values():
        assert bool(a.eligible_in) == (is_eligible(a, state.now) and bool(a.params.queues))
    if state.params.max_calls == 0:
        for q in state.queues.values():
            assert not (q.waiting and q.eligible), f"{q.name}: a call waits by an idle agent"
    assert not state.orphans
    assert state.lines == sum(c.uses_line for c in state.calls.values()), "line count drifted"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params(), SCRIPT)
def test_hold_invariant_secure_values_and_rebuild(
    p: AcdParams, script: list[tuple[int, Item]]
) -> None:
    state, journal = run_script(p, script)
    assert [r.seq for r in journal] == list(range(1, len(journal) + 1))
    text = "\n".join(r.to_json() for r in journal)
    text += json.dumps({k: c.view() for k, c in state.calls.items()}, default=str)
    rebuilt = rebuild(p, journal)
    text += json.dumps({k: c.view() for k, c in rebuilt.calls.items()}, default=str)
    for secret in SECRETS:
        assert secret not in text, "a secure value leaked into the journal or the state"
    assert state_hash(rebuilt) == state_hash(state)


FOCUSED = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([0, 1, 2]), IN_CALL),
        st.tuples(st.sampled_from([0, 1, 2, 10]), st.builds(OnCall, st.integers(0, 3), ACTION)),
        st.tuples(GAP, st.one_of(ARRIVAL, CALLBACK)),
    ),
    min_size=10,
    max_size=40,
)
CONNECTED: list[tuple[int, Item]] = [
    (0, ev.CallArrived("C0", "Q1")),
    (0, ev.CallArrived("C1", "Q2")),
    (0, ANSWER_ALL),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params(), FOCUSED)
def test_hold_invariant_from_connected_calls(p: AcdParams, script: list[tuple[int, Item]]) -> None:
    """The same checks from two answered calls on, in-call actions only: consults, swaps,
    transfers and conferences come up in most examples."""
    state, journal = run_script(p, CONNECTED + script)
    assert state_hash(rebuild(p, journal)) == state_hash(state)
    assert not any(secret in r.to_json() for r in journal for secret in SECRETS)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params(), SCRIPT)
def test_nothing_overtakes_a_higher_ranked_call_of_its_queue(
    p: AcdParams, script: list[tuple[int, Item]]
) -> None:
    """Replay the journal record by record: whenever a call of a queue is offered or a callback
    dialled, it is the head of that queue's waiting calls at that moment."""
    _, journal = run_script(p, script)
    state = initial_state(p)
    served = 0
    for r in journal:
        if r.type in ("OFFER_STARTED", "CALLBACK_DIALING"):
            c = state.calls[r["call"]]
            if c.state == "waiting":
                assert c.queue is not None
                head = state.queues[c.queue].waiting[0]
                assert head == c.rank, f"{r} overtook {head}"
                served += 1
        apply(state, r)
    assert served >= 0


def run_items(
    state: AcdState, items: list[tuple[int, Item]], t: float
) -> tuple[AcdState, list[Record], float]:
    """Step through `items` from `state` at `t` (no checks); return the records and the time."""
    out: list[Record] = []
    for gap, item in items:
        t += gap
        if not isinstance(item, ev.Event):
            state, records = run_timers(state, until=t)
            out += records
        for event in expand(state, item):
            state, records = step(state, event, t)
            out += records
    return state, out, t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params(), FOCUSED, st.integers(0, 40))
def test_rebuilding_any_prefix_then_going_on_gives_the_same_run(
    p: AcdParams, script: list[tuple[int, Item]], cut: int
) -> None:
    """What a resumed replay relies on, with consults, holds, recording timers and callback
    timers in flight at the cut: rebuild from the records of the first `cut` items, go on
    with the rest, and the journal is the one of the uninterrupted run."""
    items = [(0, ev.WallClock("2026-11-23T08:59:00")), *CONNECTED, *script]
    state, journal, _ = run_items(initial_state(p), items, 0.0)
    state, drained = run_timers(state)
    cut = min(cut, len(items))
    first, before, t = run_items(initial_state(p), items[:cut], 0.0)
    resumed = rebuild(p, before)
    assert state_hash(resumed) == state_hash(first)
    resumed, after, _ = run_items(resumed, items[cut:], t)
    resumed, drained_too = run_timers(resumed)
    assert [r.to_json() for r in before + after + drained_too] == [
        r.to_json() for r in journal + drained
    ]
