"""The `[acd]` section: timers, queues, agents and campaigns (defaults from DESIGN.md 2.1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from firmware.acd.params import AcdParams, AgentParams, CampaignParams, QueueParams, Strategy
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


class CampaignConfig(_Strict):
    name: str = Field(min_length=1)
    auto_withdraw: bool = True


class AcdConfig(_Strict):
    ring_timeout: Seconds = Field(15, gt=0)
    retry_delay: Seconds = Field(5, ge=0)
    max_failed_offers: int = Field(5, ge=1)
    wrapup: Seconds = Field(0, ge=0)
    logout_negotiation: Seconds = Field(5, ge=0)
    queues: list[QueueConfig] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    campaigns: list[CampaignConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> AcdConfig:
        for kind, names in (
            ("queue", [q.name for q in self.queues]),
            ("agent", [a.id for a in self.agents]),
            ("campaign", [c.name for c in self.campaigns]),
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
                CampaignParams(name=c.name, auto_withdraw=c.auto_withdraw) for c in self.campaigns
            ),
        )
