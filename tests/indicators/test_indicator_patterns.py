"""The state → pattern table: every state, precedence, and that the table has no gaps."""

from __future__ import annotations

import itertools

import pytest

from firmware.indicators.patterns import (
    FAST,
    NORMAL,
    PATTERN_TABLE,
    SLOW,
    STATUSES,
    WINK,
    AgentView,
    Color,
    Pattern,
    pattern_for,
    rule_for,
)

REASONS = (None, "manual", "break", "debrief", "no_answer", "post_call", "preview", "reserved")


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (AgentView("ready"), Pattern(Color.GREEN)),
        (AgentView("withdrawn", "manual"), Pattern(Color.RED)),
        (AgentView("withdrawn", "break"), Pattern(Color.RED)),
        (AgentView("withdrawn", None), Pattern(Color.RED)),
        (AgentView("withdrawn", "no_answer"), Pattern(Color.RED, FAST)),
        (AgentView("withdrawn", "post_call"), Pattern(Color.AMBER)),
        (AgentView("withdrawn", "preview"), Pattern(Color.AMBER)),
        (AgentView("unavailable"), Pattern.off()),
        (AgentView("logged_out"), Pattern.off()),
        (AgentView("ready", ringing=True), Pattern(Color.GREEN, NORMAL)),
        (AgentView("ready", in_call=True), Pattern(Color.RED)),
        (AgentView("ready", in_call=True, muted=True), Pattern(Color.RED, WINK)),
        (AgentView("ready", logout_pending=True), Pattern(Color.AMBER, SLOW)),
        # An outbound call while withdrawn still shows "in a call".
        (AgentView("withdrawn", "break", in_call=True), Pattern(Color.RED)),
        # Mute only means something in a call.
        (AgentView("ready", muted=True), Pattern(Color.GREEN)),
        # A ringing offer outranks a pending logout: the agent must still act on it.
        (AgentView("ready", ringing=True, logout_pending=True), Pattern(Color.GREEN, NORMAL)),
        # A logout asked for during a call shows the call until it ends.
        (AgentView("ready", in_call=True, logout_pending=True), Pattern(Color.RED)),
    ],
)
def test_state_shows_pattern(view: AgentView, expected: Pattern) -> None:
    assert pattern_for(view) == expected


def test_cues_that_need_attention_are_distinct() -> None:
    cues = [
        pattern_for(AgentView("ready", ringing=True)),
        pattern_for(AgentView("withdrawn", "no_answer")),
        pattern_for(AgentView("ready", in_call=True, muted=True)),
        pattern_for(AgentView("ready", logout_pending=True)),
        pattern_for(AgentView("ready", in_call=True)),
    ]
    assert len(set(cues)) == len(cues)


def _all_views() -> list[AgentView]:
    views = []
    for status, reason, *flags in itertools.product(STATUSES, REASONS, *([(False, True)] * 4)):
        if status != "withdrawn" and reason is not None:
            continue
        views.append(AgentView(status, reason, *flags))
    return views


def test_every_state_is_decided_by_a_row() -> None:
    undecided = [v for v in _all_views() if rule_for(v) is None]
    assert undecided == []


def test_every_row_decides_some_state() -> None:
    used = {rule_for(v) for v in _all_views()}
    unreachable = [rule.why for rule in PATTERN_TABLE if rule not in used]
    assert unreachable == []


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status 'busy'"):
        AgentView("busy")


def test_pattern_text_names_colour_and_cadence() -> None:
    assert str(Pattern(Color.RED, FAST)) == "red fast 120/120 ms"
    assert str(Pattern(Color.GREEN)) == "green steady"
    assert str(Pattern.off()) == "off"
