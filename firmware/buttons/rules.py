"""What a press of the state button asks the ACD core for: one table, read top to bottom.

Pure. The gateway service turns each `Request` into an ACD event (`to_event()` gives exactly
the event of DESIGN.md 2.5). The rule while ringing or in a call:
- while an offer rings, the button does nothing: changing status would end the offer
  CANCELLED without the agent meaning to refuse it; answer or refuse on the headset;
- in a call, a short press toggles the status as usual and the call goes on — pressing
  "withdrawn" during a call is how an agent says "no call after this one" (a user withdrawal
  is never turned into post-call wrap-up); a long press asks for a negotiated logout, which the
  ACD completes when the call ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from firmware.buttons.classifier import Gesture
from firmware.indicators.patterns import AgentView

MANUAL_REASON = "manual"


@dataclass(frozen=True)
class SetStatus:
    """Ask the ACD core to change the agent's status (origin user)."""

    agent: str
    status: str
    reason: str | None = None

    def to_event(self) -> dict[str, object]:
        event: dict[str, object] = {"event": "set_status", "agent": self.agent}
        event["status"] = self.status
        if self.reason is not None:
            event["reason"] = self.reason
        return event


@dataclass(frozen=True)
class Logout:
    """Ask the ACD core for a logout (negotiated unless `immediate`)."""

    agent: str
    immediate: bool = False

    def to_event(self) -> dict[str, object]:
        return {"event": "logout", "agent": self.agent, "immediate": self.immediate}


@dataclass(frozen=True)
class Login:
    """Ask the ACD core to log a logged-out agent back in (it becomes ready)."""

    agent: str

    def to_event(self) -> dict[str, object]:
        return {"event": "login", "agent": self.agent}


Request = SetStatus | Logout | Login

# Actions a row can name; each builds the request for an agent.
ACTIONS: dict[str, Callable[[str], Request]] = {
    "withdraw": lambda agent: SetStatus(agent, "withdrawn", MANUAL_REASON),
    "ready": lambda agent: SetStatus(agent, "ready"),
    "login": lambda agent: Login(agent),
    "logout": lambda agent: Logout(agent, immediate=False),
}


@dataclass(frozen=True)
class ButtonRule:
    """One row: the gesture, conditions on the agent (None = any) and the action (None =
    the press is ignored)."""

    gesture: Gesture
    ringing: bool | None = None
    logout_pending: bool | None = None
    status: str | None = None
    action: str | None = None
    why: str = ""

    def conditions(self) -> dict[str, object]:
        names = [f.name for f in fields(self) if f.name not in ("gesture", "action", "why")]
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def matches(self, gesture: Gesture, view: AgentView) -> bool:
        return gesture is self.gesture and all(
            getattr(view, name) == want for name, want in self.conditions().items()
        )


BUTTON_TABLE: tuple[ButtonRule, ...] = (
    ButtonRule(Gesture.SHORT, ringing=True, why="an offer is ringing: use the headset"),
    ButtonRule(Gesture.LONG, ringing=True, why="an offer is ringing: use the headset"),
    ButtonRule(Gesture.SHORT, logout_pending=True, why="a logout is already under way"),
    ButtonRule(Gesture.LONG, logout_pending=True, why="a logout is already under way"),
    ButtonRule(
        Gesture.SHORT,
        status="ready",
        action="withdraw",
        why="ready → withdrawn (manual); in a call, the call goes on and no wrap-up follows",
    ),
    ButtonRule(
        Gesture.SHORT,
        status="withdrawn",
        action="ready",
        why="withdrawn for any reason (break, RONA, post-call…) → ready",
    ),
    ButtonRule(Gesture.SHORT, status="unavailable", action="ready", why="back at the desk"),
    ButtonRule(Gesture.SHORT, status="logged_out", action="login", why="log in (→ ready)"),
    ButtonRule(Gesture.LONG, status="logged_out", why="already logged out"),
    ButtonRule(
        Gesture.LONG,
        action="logout",
        why="negotiated logout; in a call it completes when the call ends",
    ),
)


def request_for(
    gesture: Gesture, view: AgentView, agent: str, table: tuple[ButtonRule, ...] = BUTTON_TABLE
) -> Request | None:
    """The request a gesture makes for `agent` in state `view`, or None when it is ignored."""
    for rule in table:
        if rule.matches(gesture, view):
            return ACTIONS[rule.action](agent) if rule.action else None
    return None
