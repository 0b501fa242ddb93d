"""The whole gateway configuration: one section per subsystem."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from firmware.config.acd import AcdConfig


class GatewayConfig(BaseModel):
    """Top level of a gateway's TOML file. Unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acd: AcdConfig = Field(default_factory=AcdConfig)
