"""The `[indicators]` section: state-button timing and which USB busylights to drive."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from firmware.indicators.busylight.models import MODEL_KEYS

Seconds = float


class IndicatorsConfig(BaseModel):
    """`long_press` [2 s]: hold time that asks for a logout; `debounce` [0.03 s]; `busylight`
    ["auto"]: "auto" (any supported light), "off", or a list of model keys; `retry_every`
    [2 s]: how often a vanished indicator or button is looked for again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    long_press: Seconds = Field(2.0, ge=0.5, le=30)
    debounce: Seconds = Field(0.03, ge=0, le=0.2)
    busylight: Literal["auto", "off"] | list[str] = "auto"
    retry_every: Seconds = Field(2.0, gt=0, le=60)

    @field_validator("busylight")
    @classmethod
    def _known_models(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            unknown = [k for k in value if k not in MODEL_KEYS]
            if unknown:
                raise ValueError(
                    f"unknown busylight model(s) {', '.join(unknown)} "
                    f"(known: {', '.join(MODEL_KEYS)})"
                )
        return value
