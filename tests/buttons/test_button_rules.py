"""What a press asks the ACD core for, in every state (exact event shapes)."""

from __future__ import annotations

import itertools

import pytest

from firmware.buttons.classifier import Gesture
from firmware.buttons.rules import BUTTON_TABLE, request_for
from firmware.indicators.patterns import STATUSES, AgentView

SHORT, LONG = Gesture.SHORT, Gesture.LONG
WITHDRAW = {"event": "set_status", "agent": "A", "status": "withdrawn", "reason": "manual"}
READY = {"event": "set_status", "agent": "A", "status": "ready"}
LOGOUT = {"event": "logout", "agent": "A", "immediate": False}
LOGIN = {"event": "login", "agent": "A"}


def event(gesture: Gesture, view: AgentView) -> dict[str, object] | None:
    request = request_for(gesture, view, "A")
    return request.to_event() if request else None


@pytest.mark.parametrize(
    ("gesture", "view", "expected"),
    [
        (SHORT, AgentView("ready"), WITHDRAW),
        (SHORT, AgentView("withdrawn", "manual"), READY),
        (SHORT, AgentView("withdrawn", "break"), READY),
        (SHORT, AgentView("withdrawn", "no_answer"), READY),  # clears RONA
        (SHORT, AgentView("withdrawn", "post_call"), READY),
        (SHORT, AgentView("unavailable"), READY),
        (SHORT, AgentView("logged_out"), LOGIN),
        (LONG, AgentView("ready"), LOGOUT),
        (LONG, AgentView("withdrawn", "break"), LOGOUT),
        (LONG, AgentView("unavailable"), LOGOUT),
        (LONG, AgentView("logged_out"), None),
        # Ringing: the button never cancels an offer.
        (SHORT, AgentView("ready", ringing=True), None),
        (LONG, AgentView("ready", ringing=True), None),
        # In a call: the status toggles / logout is negotiated; the call goes on.
        (SHORT, AgentView("ready", in_call=True), WITHDRAW),
        (SHORT, AgentView("withdrawn", "manual", in_call=True), READY),
        (LONG, AgentView("ready", in_call=True), LOGOUT),
        # A logout under way is not asked for twice nor toggled away.
        (SHORT, AgentView("ready", logout_pending=True), None),
        (LONG, AgentView("ready", logout_pending=True), None),
    ],
)
def test_press_makes_request(
    gesture: Gesture, view: AgentView, expected: dict[str, object] | None
) -> None:
    assert event(gesture, view) == expected


def test_every_press_in_every_state_is_decided_by_a_row() -> None:
    undecided = []
    for gesture, status, ringing, in_call, pending in itertools.product(
        Gesture, STATUSES, *([(False, True)] * 3)
    ):
        view = AgentView(status, ringing=ringing, in_call=in_call, logout_pending=pending)
        if not any(rule.matches(gesture, view) for rule in BUTTON_TABLE):
            undecided.append((gesture, view))
    assert undecided == []
