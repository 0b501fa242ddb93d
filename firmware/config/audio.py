"""The `[audio]` section: which devices carry the call, and the site noise policy.

```toml
[audio]
backend = "pyaudio"            # "fake" on the simulated board
noise_suppression = true       # site-wide; agents cannot turn it off (seed 002)
ns_level = 1                   # 1 (mild) … 4 (strongest); 0 = none
agc_dbfs = 0                   # AGC target level in dBFS below full scale; 0 = off
ns_mix = 0.5                   # share of suppressed signal sent; the rest is the original
pause_gate_db = 0              # lower the uplink by this many dB between words (typing in
                               # the pauses); 0 = off, 15 = open-plan sites (docs/audio.md)

[audio.headset_mic]            # each device: name, ALSA id (hw:1,0), #index or "default"
name = "Jabra"                 # rate defaults to 16000 (ALSA's plug layer converts);
rate = 48000                   # another rate goes through our soxr resampler
channels = 1
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from firmware.audio.backend import DeviceSpec
from firmware.audio.frames import StreamFormat
from firmware.audio.policy import (
    DEFAULT_GATE_DB,
    DEFAULT_NS_LEVEL,
    DEFAULT_NS_MIX,
    MAX_GATE_DB,
    NoisePolicy,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AudioDeviceConfig(_Strict):
    """One device end: how to find it and the format to open it in."""

    name: str = Field("default", min_length=1)
    rate: int = Field(16_000, ge=8_000, le=192_000)  # 16 kHz: no resampling in our path
    channels: int = Field(1, ge=1, le=8)

    def to_spec(self) -> DeviceSpec:
        return DeviceSpec(self.name, StreamFormat(self.rate, self.channels))


class AudioConfig(_Strict):
    backend: Literal["pyaudio", "fake"] = "pyaudio"
    headset_mic: AudioDeviceConfig = Field(default_factory=AudioDeviceConfig)
    headset_speaker: AudioDeviceConfig = Field(default_factory=AudioDeviceConfig)
    phone_in: AudioDeviceConfig = Field(default_factory=AudioDeviceConfig)
    phone_out: AudioDeviceConfig = Field(default_factory=AudioDeviceConfig)
    noise_suppression: bool = True
    ns_level: int = Field(DEFAULT_NS_LEVEL, ge=0, le=4)
    agc_dbfs: int = Field(0, ge=0, le=31)
    ns_mix: float = Field(DEFAULT_NS_MIX, gt=0.0, le=1.0)
    pause_gate_db: float = Field(DEFAULT_GATE_DB, ge=0.0, le=MAX_GATE_DB)
    buffer_ms: float = Field(10.0, gt=0, le=100)
    queue_buffers: int = Field(8, ge=1, le=100)
    prefill_buffers: int = Field(1, ge=1, le=4)
    resample_quality: Literal["QQ", "LQ", "MQ", "HQ", "VHQ"] = "LQ"

    def policy(self) -> NoisePolicy:
        return NoisePolicy(
            suppression=self.noise_suppression,
            level=self.ns_level,
            agc_dbfs=self.agc_dbfs,
            mix=self.ns_mix,
            gate_db=self.pause_gate_db,
        )
