"""The full-duplex audio bridge the gateway service drives: two lanes and the site policy.

Uplink: headset microphone → mic meter → noise suppression/AGC → mute → line meter → phone
side. Downlink: phone side → far-end meter → headset speaker. The service calls `start()`
once, `start_call()` when a call starts (the site policy is applied then, and only then),
`mute()` when the headset's mute toggles, and `stats()` for status and the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from firmware.audio.backend import AudioBackend, DeviceSpec
from firmware.audio.frames import FRAME_MS
from firmware.audio.gate import PauseGate
from firmware.audio.lane import Lane, LaneStats
from firmware.audio.noise import EngineFactory, NoiseSuppressor, webrtc_engine
from firmware.audio.policy import CallAudioSettings, SitePolicy
from firmware.audio.resample import DEFAULT_QUALITY
from firmware.audio.stages import FLOOR_DBFS, LevelMeter, MuteStage, Stage, StageChain

if TYPE_CHECKING:
    from firmware.config.audio import AudioConfig


@dataclass(frozen=True)
class BridgeDevices:
    """The four device ends of the bridge, as configured."""

    headset_mic: DeviceSpec
    headset_speaker: DeviceSpec
    phone_in: DeviceSpec
    phone_out: DeviceSpec


@dataclass(frozen=True)
class BridgeStats:
    """A snapshot for status displays: per-lane counters, meters, the call's settings."""

    uplink: LaneStats
    downlink: LaneStats
    muted: bool
    settings: CallAudioSettings
    noise_active: bool
    noise_fault: str | None
    mic_dbfs: float
    line_dbfs: float
    far_dbfs: float
    talking: bool


def uplink_stages(
    settings: CallAudioSettings,
    mute: MuteStage,
    engine_factory: EngineFactory = webrtc_engine,
    on_fault: Callable[[str], None] | None = None,
) -> list[Stage]:
    """The uplink stage list; `deskgate audio process` runs the same list on files."""
    return [
        LevelMeter("mic"),
        NoiseSuppressor(
            settings.ns_level, settings.agc_dbfs, engine_factory, on_fault, settings.ns_mix
        ),
        PauseGate(settings.gate_db),
        mute,
        LevelMeter("line"),
    ]


class AudioBridge:
    """Headset ↔ phone-side audio with noise suppression on the uplink.

    `start()` raises `AudioDeviceError` naming the missing device and listing those that
    exist, unless `wait_for_devices=True` (the service's choice: it starts without the
    headset and picks it up when plugged). A failing engine never stops audio: see
    `NoiseSuppressor`. `on_fault(message)` is called once per engine fault.
    """

    def __init__(
        self,
        backend: AudioBackend,
        devices: BridgeDevices,
        policy: SitePolicy | None = None,
        *,
        engine_factory: EngineFactory = webrtc_engine,
        on_fault: Callable[[str], None] | None = None,
        buffer_ms: float = FRAME_MS,
        queue_buffers: int = 8,
        out_buffers: int = 4,
        prefill: int = 1,
        retry_interval: float = 1.0,
        quality: str = DEFAULT_QUALITY,
    ) -> None:
        self.policy = policy or SitePolicy()
        self._engine_factory = engine_factory
        self._on_fault = on_fault
        self._mute = MuteStage()
        self.settings = self.policy.settings_for_new_call()
        self.far_meter = LevelMeter("far")
        self.uplink = Lane(
            "uplink",
            backend,
            devices.headset_mic,
            devices.phone_out,
            self._uplink_chain(self.settings),
            buffer_ms=buffer_ms,
            queue_buffers=queue_buffers,
            out_buffers=out_buffers,
            prefill=prefill,
            retry_interval=retry_interval,
            quality=quality,
        )
        self.downlink = Lane(
            "downlink",
            backend,
            devices.phone_in,
            devices.headset_speaker,
            StageChain([self.far_meter]),
            buffer_ms=buffer_ms,
            queue_buffers=queue_buffers,
            out_buffers=out_buffers,
            prefill=prefill,
            retry_interval=retry_interval,
            quality=quality,
        )

    @classmethod
    def from_config(
        cls,
        cfg: AudioConfig,
        backend: AudioBackend,
        policy: SitePolicy | None = None,
        on_fault: Callable[[str], None] | None = None,
    ) -> AudioBridge:
        """A bridge wired as the `[audio]` section says (policy from it unless given)."""
        devices = BridgeDevices(
            headset_mic=cfg.headset_mic.to_spec(),
            headset_speaker=cfg.headset_speaker.to_spec(),
            phone_in=cfg.phone_in.to_spec(),
            phone_out=cfg.phone_out.to_spec(),
        )
        return cls(
            backend,
            devices,
            policy or SitePolicy(cfg.policy()),
            on_fault=on_fault,
            buffer_ms=cfg.buffer_ms,
            queue_buffers=cfg.queue_buffers,
            prefill=cfg.prefill_buffers,
            quality=cfg.resample_quality,
        )

    def _uplink_chain(self, settings: CallAudioSettings) -> StageChain:
        return StageChain(uplink_stages(settings, self._mute, self._engine_factory, self._on_fault))

    def start(self, wait_for_devices: bool = False) -> None:
        self.uplink.start(wait_for_devices)
        try:
            self.downlink.start(wait_for_devices)
        except Exception:
            self.uplink.stop()
            raise

    def stop(self) -> None:
        self.uplink.stop()
        self.downlink.stop()

    def mute(self, muted: bool) -> None:
        """Silence the uplink from the next frame on (the far end hears zeros)."""
        self._mute.muted = muted

    def start_call(self) -> CallAudioSettings:
        """Apply the site policy as it is now; it holds until the next call starts."""
        settings = self.policy.settings_for_new_call()
        if settings != self.settings:
            self.settings = settings
            self.uplink.set_chain(self._uplink_chain(settings))
        return settings

    def _stage(self, name: str) -> Stage | None:
        return self.uplink.chain.find(name)

    def stats(self) -> BridgeStats:
        noise = self._stage("noise")
        mic = self._stage("mic")
        line = self._stage("line")
        engine = noise if isinstance(noise, NoiseSuppressor) else None
        return BridgeStats(
            uplink=self.uplink.stats(),
            downlink=self.downlink.stats(),
            muted=self._mute.muted,
            settings=self.settings,
            noise_active=engine is not None and engine.active,
            noise_fault=engine.fault if engine is not None else None,
            mic_dbfs=round(_level(mic), 1),
            line_dbfs=round(_level(line), 1),
            far_dbfs=round(self.far_meter.level_dbfs, 1),
            talking=isinstance(mic, LevelMeter) and mic.voice,
        )


def _level(stage: Stage | None) -> float:
    return stage.level_dbfs if isinstance(stage, LevelMeter) else FLOOR_DBFS
