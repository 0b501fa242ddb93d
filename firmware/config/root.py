"""The whole gateway configuration: one section per subsystem."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from firmware.config.acd import AcdConfig
from firmware.config.audio import AudioConfig
from firmware.config.console import ConsoleConfig
from firmware.config.hid import HidConfig
from firmware.config.indicators import IndicatorsConfig
from firmware.config.phone import PhoneConfig
from firmware.config.site import SiteConfig


class GatewayConfig(BaseModel):
    """Top level of a gateway's TOML file. Unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    acd: AcdConfig = Field(default_factory=AcdConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    indicators: IndicatorsConfig = Field(default_factory=IndicatorsConfig)
    hid: HidConfig = Field(default_factory=HidConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)
    phone: PhoneConfig | None = None  # no [phone] section: no phone line
