"""Property tests over random event scripts and configurations (hypothesis)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.acd import events as ev
from firmware.acd.core import initial_state, run_timers, step
from firmware.acd.eligibility import is_eligible
from firmware.acd.params import AcdParams, AgentParams, CampaignParams, QueueParams, Strategy
from firmware.acd.records import Record
from firmware.acd.state import AcdState, state_hash
from firmware.journal.recovery import rebuild

AGENTS = ("A", "B", "C")
CALLS = tuple(f"C{i}" for i in range(6))


@st.composite
def params(draw: st.DrawFn) -> AcdParams:
    def queue(name: str) -> QueueParams:
        return QueueParams(
            name,
            draw(st.sampled_from(list(Strategy))),
            wait_time_1=draw(st.sampled_from([0, 30, 90])),
            wait_time_2=draw(st.sampled_from([0, 10, 60])),
            max_wait=draw(st.sampled_from([0, 120])),
            max_queue_len=draw(st.sampled_from([0, 2])),
        )

    return AcdParams(
        ring_timeout=draw(st.sampled_from([5, 15])),
        retry_delay=draw(st.sampled_from([0, 5])),
        max_failed_offers=draw(st.integers(1, 5)),
        wrapup=draw(st.sampled_from([0, 10])),
        logout_negotiation=draw(st.sampled_from([0, 5])),
        queues=(queue("Q1"), queue("Q2")),
        agents=(
            AgentParams("A", ("Q1",), penalty=draw(st.integers(0, 2))),
            AgentParams("B", ("Q1", "Q2"), status=draw(st.sampled_from(["ready", "withdrawn"]))),
            AgentParams("C", ("Q2",), hook_device=False),
        ),
        campaigns=(CampaignParams("K", auto_withdraw=draw(st.booleans())),),
    )


agent = st.sampled_from(AGENTS)
EVENT = st.one_of(
    st.builds(ev.CallArrived, st.sampled_from(CALLS), st.sampled_from(["Q1", "Q2"]),
              st.integers(0, 3)),
    st.builds(ev.CallerHangup, st.sampled_from(CALLS)),
    st.builds(ev.Hook, agent, st.booleans()),
    st.builds(ev.Answer, agent),
    st.builds(ev.Hangup, agent),
    st.builds(ev.Refuse, agent),
    st.builds(ev.CallEnd, agent),
    st.builds(ev.SetStatus, agent, st.sampled_from(["ready", "withdrawn", "unavailable"]),
              st.sampled_from(["manual", "break"]), st.sampled_from(["user", "supervisor"])),
    st.builds(ev.OpenContact, agent, st.just("K")),
    st.builds(ev.ReturnHome, agent),
    st.builds(ev.Dial, agent, st.sampled_from(["5551234", "12"])),
    st.builds(ev.Logout, agent, st.booleans()),
    st.builds(ev.Login, agent),
    st.builds(ev.Device, agent, st.booleans()),
)  # fmt: skip
SCRIPT = st.lists(st.tuples(st.sampled_from([0, 0, 1, 3, 8, 20]), EVENT), max_size=60)


def check_invariants(state: AcdState, open_offers: dict[str, str]) -> None:
    limit = state.params.max_failed_offers
    for a in state.agents.values():
        assert a.failed <= limit, "the counter exceeded the threshold"
        indexed = bool(a.eligible_in)
        assert indexed == (is_eligible(a, state.now) and bool(a.params.queues)), a.id
        assert a.offer == open_offers.get(a.id)
    for q in state.queues.values():
        assert not (q.waiting and q.eligible), f"{q.name}: a call waits beside an eligible agent"


def track(records: list[Record], open_offers: dict[str, str]) -> None:
    for r in records:
        if r.type == "OFFER_STARTED":
            assert r["agent"] not in open_offers, f"{r['agent']} got a second offer"
            open_offers[r["agent"]] = r["call"]
        elif r.type == "OFFER_ENDED":
            assert open_offers.pop(r["agent"]) == r["call"]


def run_script(p: AcdParams, script: list[tuple[int, ev.Event]]) -> tuple[AcdState, list[Record]]:
    state, journal, t = initial_state(p), [], 0.0
    offers: dict[str, str] = {}
    for gap, event in script:
        t += gap
        state, records = step(state, event, t)
        track(records, offers)
        check_invariants(state, offers)
        journal += records
    state, records = run_timers(state)
    track(records, offers)
    check_invariants(state, offers)
    return state, journal + records


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params(), SCRIPT)
def test_invariants_hold_and_the_journal_rebuilds_the_same_state(
    p: AcdParams, script: list[tuple[int, ev.Event]]
) -> None:
    state, journal = run_script(p, script)
    assert [r.seq for r in journal] == list(range(1, len(journal) + 1))
    assert all(a.t <= b.t for a, b in pairwise(journal))
    assert state_hash(rebuild(p, journal)) == state_hash(state)


@settings(max_examples=60, deadline=None)
@given(params(), SCRIPT, st.integers(0, 60))
def test_rebuilding_any_prefix_then_going_on_gives_the_same_run(
    p: AcdParams, script: list[tuple[int, ev.Event]], cut: int
) -> None:
    """What a restart without cancellation (a resumed replay) relies on."""
    _, journal = run_script(p, script)
    cut = min(cut, len(script))
    # the records of the first `cut` events (without the final drain) are a prefix
    state, t, records_so_far = initial_state(p), 0.0, []
    for gap, event in script[:cut]:
        t += gap
        state, records = step(state, event, t)
        records_so_far += records
    resumed = rebuild(p, records_so_far)
    assert state_hash(resumed) == state_hash(state)
    for gap, event in script[cut:]:
        t += gap
        resumed, records = step(resumed, event, t)
        records_so_far += records
    resumed, records = run_timers(resumed)
    assert [r.to_json() for r in records_so_far + records] == [r.to_json() for r in journal]
