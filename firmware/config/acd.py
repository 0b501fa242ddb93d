"""The `[acd]` section: timers, queues, agents and campaigns (defaults from DESIGN.md 2.1)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
from firmware.acd.reasons import SYSTEM_REASONS

Seconds = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueConfig(_Strict):
    name: str = Field(min_length=1)
    strategy: Strategy = Strategy.LONGEST_IDLE
    wait_time_1: Seconds = Field(0, ge=0)
    wait_time_2: Seconds = Field(0, ge=0)
    max_wait: Seconds = Field(0, ge=0)
    max_queue_len: int = Field(0, ge=0)


class AgentConfig(_Strict):
    id: str = Field(min_length=1)
    queues: list[str] = Field(default_factory=list)
    penalty: int = Field(0, ge=0)
    hook_device: bool = True
    switch_to_ready_on_home: bool = True
    status: Literal["ready", "withdrawn", "unavailable", "logged_out"] = "ready"
    reason: str | None = None

    @model_validator(mode="after")
    def _reason_fits_status(self) -> AgentConfig:
        if self.reason is not None and self.status != "withdrawn":
            raise ValueError(f"'reason' only applies to status 'withdrawn', not {self.status!r}")
        if self.reason in SYSTEM_REASONS:
            raise ValueError(f"reason {self.reason!r} is reserved for the system")
        return self


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _minutes(text: str) -> tuple[int, int]:
    m = _HOURS.match(text)
    if m is None:
        raise ValueError(f"hours {text!r}: write them as HH:MM-HH:MM, e.g. 08:30-12:00")
    lo, hi = int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])
    if not lo < hi <= 24 * 60:
        raise ValueError(f"hours {text!r}: the end must come after the start, by 24:00")
    return lo, hi


class CalendarConfig(_Strict):
    """`[acd.campaigns.contact_rule.calendar]`: when the campaign may call, local wall time."""

    start: dt.date | None = None
    end: dt.date | None = None
    hours: list[str] = Field(default_factory=lambda: ["00:00-24:00"], min_length=1)
    closed: list[dt.date] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            _minutes(text)
        return value

    def to_params(self) -> Calendar:
        return Calendar(
            self.start,
            self.end,
            tuple(sorted(_minutes(h) for h in self.hours)),
            frozenset(self.closed),
        )


class ContactRuleConfig(_Strict):
    """`[acd.campaigns.contact_rule]`: a callback campaign's contact rule (seed 004)."""

    max_per_agent: int = Field(0, ge=0)
    power: bool = True
    max_attempts: int = Field(3, ge=1)
    count_operational_errors: bool = False
    priority_order: bool = True
    customer_ring_timeout: Seconds = Field(30, gt=0)
    retry_interval: Seconds = Field(0, ge=0)
    calendar: CalendarConfig | None = None

    def to_params(self) -> ContactRule:
        return ContactRule(
            max_per_agent=self.max_per_agent,
            power=self.power,
            max_attempts=self.max_attempts,
            count_operational_errors=self.count_operational_errors,
            priority_order=self.priority_order,
            customer_ring_timeout=float(self.customer_ring_timeout),
            retry_interval=float(self.retry_interval),
            calendar=None if self.calendar is None else self.calendar.to_params(),
        )


class CampaignConfig(_Strict):
    name: str = Field(min_length=1)
    auto_withdraw: bool = True
    contact_rule: ContactRuleConfig | None = None  # makes it a callback campaign


class CadConfig(_Strict):
    """`[[acd.cad]]`: a call-associated data variable."""

    name: str = Field(min_length=1)
    secure: bool = False
    editable: bool = True


class AcdConfig(_Strict):
    ring_timeout: Seconds = Field(15, gt=0)
    retry_delay: Seconds = Field(5, ge=0)
    max_failed_offers: int = Field(5, ge=1)
    wrapup: Seconds = Field(0, ge=0)
    logout_negotiation: Seconds = Field(5, ge=0)
    queues: list[QueueConfig] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    campaigns: list[CampaignConfig] = Field(default_factory=list)
    wrapup_reasons: list[str] = Field(default_factory=list)  # empty: any code
    recording_auto_resume: Seconds = Field(0, ge=0)  # 0: no automatic resume
    cad: list[CadConfig] = Field(default_factory=list)
    max_calls: int = Field(0, ge=0)  # simultaneous calls on the site, 0: no limit
    service_level_threshold: Seconds = Field(20, gt=0)

    @model_validator(mode="after")
    def _references_resolve(self) -> AcdConfig:
        for kind, names in (
            ("queue", [q.name for q in self.queues]),
            ("agent", [a.id for a in self.agents]),
            ("campaign", [c.name for c in self.campaigns]),
            ("cad variable", [v.name for v in self.cad]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} name(s): {', '.join(dupes)}")
        known = {q.name for q in self.queues}
        for i, agent in enumerate(self.agents):
            for q in agent.queues:
                if q not in known:
                    raise ValueError(
                        f"agents[{i}] ({agent.id}): unknown queue {q!r} "
                        f"(known: {', '.join(sorted(known)) or 'none'})"
                    )
        return self

    def to_params(self) -> AcdParams:
        return AcdParams(
            ring_timeout=float(self.ring_timeout),
            retry_delay=float(self.retry_delay),
            max_failed_offers=self.max_failed_offers,
            wrapup=float(self.wrapup),
            logout_negotiation=float(self.logout_negotiation),
            queues=tuple(
                QueueParams(
                    name=q.name,
                    strategy=q.strategy,
                    wait_time_1=float(q.wait_time_1),
                    wait_time_2=float(q.wait_time_2),
                    max_wait=float(q.max_wait),
                    max_queue_len=q.max_queue_len,
                )
                for q in self.queues
            ),
            agents=tuple(
                AgentParams(
                    id=a.id,
                    queues=tuple(a.queues),
                    penalty=a.penalty,
                    hook_device=a.hook_device,
                    switch_to_ready_on_home=a.switch_to_ready_on_home,
                    status=a.status,
                    reason=a.reason,
                )
                for a in self.agents
            ),
            campaigns=tuple(
                CampaignParams(
                    name=c.name,
                    auto_withdraw=c.auto_withdraw,
                    rule=None if c.contact_rule is None else c.contact_rule.to_params(),
                )
                for c in self.campaigns
            ),
            wrapup_reasons=tuple(self.wrapup_reasons),
            recording_auto_resume=float(self.recording_auto_resume),
            cad=tuple(CadVariable(v.name, v.secure, v.editable) for v in self.cad),
            max_calls=self.max_calls,
            service_level_threshold=float(self.service_level_threshold),
        )
