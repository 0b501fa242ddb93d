"""The ACD core's parameters as plain frozen data (built from the TOML config by
`firmware.config`), so the core depends on nothing but the standard library."""

from __future__ import annotations

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
class CampaignParams:
    name: str
    auto_withdraw: bool = True


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
