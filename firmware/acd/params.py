"""The ACD core's parameters as plain frozen data (built from the TOML config by
`firmware.config`), so the core depends on nothing but the standard library."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    RING_ALL = "ring_all"
    ROUND_ROBIN = "round_robin"
    LINEAR = "linear"


@dataclass(frozen=True)
class QueueParams:
    name: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    wait_time_1: float = 0.0  # 0 = off
    wait_time_2: float = 0.0  # 0 = off
    max_wait: float = 0.0  # 0 = none
    max_queue_len: int = 0  # 0 = unlimited


@dataclass(frozen=True)
class AgentParams:
    id: str
    queues: tuple[str, ...] = ()
    penalty: int = 0
    hook_device: bool = True
    switch_to_ready_on_home: bool = True
    status: str = "ready"
    reason: str | None = None


@dataclass(frozen=True)
class Calendar:
    """When a callback campaign may dial, on the wall clock (naive local time): from `start`
    to `end` (dates, inclusive, None = open-ended), inside the daily `hours` (minutes since
    midnight, [from, to) ranges), never on a `closed` day."""

    start: dt.date | None = None
    end: dt.date | None = None
    hours: tuple[tuple[int, int], ...] = ((0, 24 * 60),)
    closed: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class ContactRule:
    """A callback campaign's contact rule (seed 004)."""

    max_per_agent: int = 0  # pending personal callbacks one agent may schedule, 0 = no limit
    power: bool = True  # reserve the agent (withdrawn `reserved`) before dialling
    max_attempts: int = 3  # counted attempts before the callback is given up
    count_operational_errors: bool = False  # network failure, invalid number, unreachable
    priority_order: bool = True  # rank by priority; False: first come, first served
    customer_ring_timeout: float = 30.0  # the customer has this long to answer
    retry_interval: float = 0.0  # a failed callback waits this long before it queues again
    calendar: Calendar | None = None


@dataclass(frozen=True)
class CampaignParams:
    name: str
    auto_withdraw: bool = True
    rule: ContactRule | None = None  # set for a callback campaign


@dataclass(frozen=True)
class CadVariable:
    """A call-associated data variable: `secure` values are shown as **** everywhere."""

    name: str
    secure: bool = False
    editable: bool = True


@dataclass(frozen=True)
class AcdParams:
    ring_timeout: float = 15.0
    retry_delay: float = 5.0
    max_failed_offers: int = 5
    wrapup: float = 0.0
    logout_negotiation: float = 5.0
    queues: tuple[QueueParams, ...] = ()
    agents: tuple[AgentParams, ...] = ()
    campaigns: tuple[CampaignParams, ...] = field(default_factory=tuple)
    # in-call rules and callbacks (docs/acd-calls.md); the defaults change nothing above
    wrapup_reasons: tuple[str, ...] = ()  # empty: any code is accepted
    recording_auto_resume: float = 0.0  # 0 = a paused recording waits for a manual resume
    cad: tuple[CadVariable, ...] = ()
    max_calls: int = 0  # simultaneous calls on the site, 0 = no limit
    service_level_threshold: float = 20.0  # `deskgate stats`: answered within this

    def campaign(self, name: str) -> CampaignParams | None:
        for c in self.campaigns:
            if c.name == name:
                return c
        return None

    def cad_variable(self, name: str) -> CadVariable | None:
        for v in self.cad:
            if v.name == name:
                return v
        return None
