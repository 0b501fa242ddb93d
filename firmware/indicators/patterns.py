"""What an indicator shows for each agent state: one ordered table, read top to bottom.

The gateway service fills an `AgentView` from the ACD core's state and asks `pattern_for(view)`;
the first `Rule` of `PATTERN_TABLE` whose conditions all hold gives the `Pattern`. The table is
data: `docs/indicators.md` is generated from it (`python -m firmware.indicators.docgen`), and
tests check every state against it. Nothing here touches hardware.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

STATUSES = ("ready", "withdrawn", "unavailable", "logged_out")


class Color(StrEnum):
    """A colour an indicator can show; OFF is dark."""

    OFF = "off"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def rgb(self) -> tuple[int, int, int]:
        """Full-brightness 0–255 RGB for lights that mix colours (busylights)."""
        return _RGB[self]


_RGB = {
    Color.OFF: (0, 0, 0),
    Color.GREEN: (0, 255, 0),
    Color.AMBER: (255, 140, 0),
    Color.RED: (255, 0, 0),
}


@dataclass(frozen=True)
class Blink:
    """A blink cadence: `on_ms` lit then `off_ms` dark, repeating; 0/0 is steady."""

    name: str
    on_ms: int
    off_ms: int

    @property
    def steady(self) -> bool:
        return self.on_ms == 0 and self.off_ms == 0


STEADY = Blink("steady", 0, 0)
SLOW = Blink("slow", 1000, 1000)
NORMAL = Blink("blink", 400, 400)
FAST = Blink("fast", 120, 120)
# Mostly lit with a short dark gap: reads as "busy" from across the floor, yet is visibly
# different from the steady in-call light when the agent looks at it.
WINK = Blink("wink", 1800, 200)

BLINKS = (STEADY, SLOW, NORMAL, FAST, WINK)


@dataclass(frozen=True)
class Pattern:
    """A colour with a blink cadence; `Pattern.off()` is dark."""

    color: Color
    blink: Blink = STEADY

    @classmethod
    def off(cls) -> Pattern:
        return cls(Color.OFF, STEADY)

    @property
    def is_off(self) -> bool:
        return self.color is Color.OFF

    def __str__(self) -> str:
        if self.is_off:
            return "off"
        if self.blink.steady:
            return f"{self.color.value} steady"
        return f"{self.color.value} {self.blink.name} {self.blink.on_ms}/{self.blink.off_ms} ms"


@dataclass(frozen=True)
class AgentView:
    """The part of an agent's ACD state the indicators need, filled by the gateway service.

    Raises ValueError for a status that is not one of `STATUSES`.
    """

    status: str
    reason: str | None = None
    ringing: bool = False
    in_call: bool = False
    muted: bool = False
    logout_pending: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r} (known: {', '.join(STATUSES)})")

    @property
    def reason_class(self) -> str | None:
        """`rona`, `work` or `away` for a withdrawal (see `REASON_CLASSES`), else None."""
        if self.status != "withdrawn":
            return None
        return REASON_CLASSES.get(self.reason or "manual", DEFAULT_REASON_CLASS)


# Withdrawal reasons grouped by what a supervisor should read from the light. System reasons
# come from the ACD core (DESIGN.md 2.2); every user reason (manual, break, debrief, …) is away.
REASON_CLASSES: dict[str, str] = {
    "no_answer": "rona",
    "post_call": "work",
    "preview": "work",
    "reserved": "work",
}
DEFAULT_REASON_CLASS = "away"


@dataclass(frozen=True)
class Rule:
    """One row of the table: every condition that is not None must equal the view's value."""

    status: str | None = None
    reason_class: str | None = None
    ringing: bool | None = None
    in_call: bool | None = None
    muted: bool | None = None
    logout_pending: bool | None = None
    pattern: Pattern = Pattern(Color.OFF)
    why: str = ""

    def conditions(self) -> dict[str, object]:
        """The conditions this row sets, in field order (for matching and for the docs)."""
        names = [f.name for f in fields(self) if f.name not in ("pattern", "why")]
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def matches(self, view: AgentView) -> bool:
        return all(getattr(view, name) == want for name, want in self.conditions().items())


PATTERN_TABLE: tuple[Rule, ...] = (
    Rule(
        ringing=True,
        pattern=Pattern(Color.GREEN, NORMAL),
        why="an offer is ringing: answer on the headset",
    ),
    Rule(
        in_call=True,
        muted=True,
        pattern=Pattern(Color.RED, WINK),
        why="in a call with the microphone muted",
    ),
    Rule(in_call=True, pattern=Pattern(Color.RED), why="in a call: do not disturb"),
    Rule(
        logout_pending=True,
        pattern=Pattern(Color.AMBER, SLOW),
        why="negotiated logout under way",
    ),
    Rule(status="logged_out", pattern=Pattern.off(), why="not logged in"),
    Rule(status="unavailable", pattern=Pattern.off(), why="not at the desk"),
    Rule(
        status="withdrawn",
        reason_class="rona",
        pattern=Pattern(Color.RED, FAST),
        why="withdrawn after unanswered offers (RONA): needs the agent's attention",
    ),
    Rule(
        status="withdrawn",
        reason_class="work",
        pattern=Pattern(Color.AMBER),
        why="withdrawn by the system for work (post-call, preview)",
    ),
    Rule(status="withdrawn", pattern=Pattern(Color.RED), why="withdrawn by choice (break…)"),
    Rule(status="ready", pattern=Pattern(Color.GREEN), why="ready for the next call"),
)


def pattern_for(view: AgentView, table: tuple[Rule, ...] = PATTERN_TABLE) -> Pattern:
    """The pattern of the first row that matches `view`; dark when none does."""
    for rule in table:
        if rule.matches(view):
            return rule.pattern
    return Pattern.off()


def rule_for(view: AgentView, table: tuple[Rule, ...] = PATTERN_TABLE) -> Rule | None:
    """The row that decides `view` (None when no row matches)."""
    return next((rule for rule in table if rule.matches(view)), None)
