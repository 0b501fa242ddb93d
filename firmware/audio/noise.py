"""Noise suppression and AGC with webrtc-noise-gain, as a stage that fails open.

The engine is `webrtc_noise_gain.AudioProcessor(auto_gain_dbfs, noise_suppression_level)`;
it takes exactly one 320-byte frame per `Process10ms` call. If the engine cannot be loaded or
raises while running, the stage passes audio through unchanged (delayed by what the engine
delayed, so the far end hears no jump), and reports the fault once through `on_fault`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from firmware.audio.frames import FRAME_BYTES, SAMPLE_BYTES

with warnings.catch_warnings():  # stdlib up to 3.12, the audioop-lts package from 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

log = logging.getLogger(__name__)

# WebRTC NS works on overlapping blocks and shifts the signal by 6 ms (96 samples at 16 kHz);
# measured on webrtc-noise-gain 1.3.0 (tests/audio/test_audio_noise.py checks it). The
# high-pass filter and AGC alone add no delay.
NS_DELAY_SAMPLES = 96


class Engine(Protocol):
    def Process10ms(self, audio: bytes) -> Any: ...


EngineFactory = Callable[[int, int], Engine]
"""(auto_gain_dbfs, noise_suppression_level) -> engine; raises if the engine is unusable."""


def webrtc_engine(auto_gain_dbfs: int, ns_level: int) -> Engine:
    """The real engine. Raises ImportError when webrtc-noise-gain is not installed."""
    from webrtc_noise_gain import AudioProcessor

    engine: Engine = AudioProcessor(auto_gain_dbfs, ns_level)
    return engine


def engine_delay(ns_level: int) -> int:
    """Signal delay of the WebRTC engine at `ns_level`, in engine samples."""
    return NS_DELAY_SAMPLES if ns_level > 0 else 0


class NoiseSuppressor:
    """Stage: WebRTC noise suppression (level 1–4, 0 = off) and AGC (target dBFS 1–31, 0 = off).

    `mix` is the share of the engine's output in what is sent, the rest being the input
    delayed to match (1.0 = processed only). Mixing some of the input back bounds the
    suppression (with 0.5 the noise comes down by 6 dB at most) but keeps WebRTC from smearing
    speech in noise it does not model (typing, babble): see docs/audio.md for the numbers.
    With AGC on, `mix` is ignored (the input part would not be level-controlled).

    With both off the engine is not run at all (a true pass-through, no delay). Never raises
    from `start` or `process`: an engine that fails to load or raises is dropped, the audio
    passes (delay kept), `fault` holds the reason and `on_fault` is called once.
    `is_speech` is the engine's own voice flag for the last frame.
    """

    name = "noise"

    def __init__(
        self,
        ns_level: int,
        agc_dbfs: int = 0,
        engine_factory: EngineFactory = webrtc_engine,
        on_fault: Callable[[str], None] | None = None,
        mix: float = 1.0,
    ) -> None:
        if not 0 <= ns_level <= 4:
            raise ValueError(f"noise suppression level {ns_level}: expected 0 to 4")
        if not 0 <= agc_dbfs <= 31:
            raise ValueError(f"AGC target {agc_dbfs} dBFS: expected 0 (off) to 31")
        if not 0.0 < mix <= 1.0:
            raise ValueError(f"noise suppression mix {mix}: expected more than 0, at most 1")
        self.mix = 1.0 if agc_dbfs else mix
        self._dry_gain = 1.0 - self.mix
        self.ns_level = ns_level
        self.agc_dbfs = agc_dbfs
        self._factory = engine_factory
        self._on_fault = on_fault
        self._engine: Engine | None = None
        self._delay = engine_delay(ns_level) if (ns_level or agc_dbfs) else 0
        self._hold = bytes(self._delay * 2)  # the input, delayed as the engine delays it
        self.fault: str | None = None
        self.faults = 0
        self.is_speech = False

    @property
    def delay(self) -> int:
        return self._delay

    @property
    def active(self) -> bool:
        """True while the engine is running (not off, not failed)."""
        return self._engine is not None

    def start(self) -> None:
        if self._engine is not None or self.fault is not None:
            return
        if not (self.ns_level or self.agc_dbfs):
            return
        try:
            self._engine = self._factory(self.agc_dbfs, self.ns_level)
        except Exception as exc:
            self._fail(f"noise suppression engine unavailable: {exc!r}")

    def process(self, frame: bytes) -> bytes:
        engine = self._engine
        if engine is not None:
            try:
                result = engine.Process10ms(frame)
                out: bytes = result.audio
                if len(out) != FRAME_BYTES:
                    raise ValueError(f"engine returned {len(out)} bytes")
                self.is_speech = bool(result.is_speech)
                if self._dry_gain == 0.0:
                    return out
                return audioop.add(
                    audioop.mul(out, SAMPLE_BYTES, self.mix),
                    audioop.mul(self._delayed(frame), SAMPLE_BYTES, self._dry_gain),
                    SAMPLE_BYTES,
                )
            except Exception as exc:
                self._engine = None
                self._fail(f"noise suppression engine failed: {exc!r}")
        return self._delayed(frame)

    def _delayed(self, frame: bytes) -> bytes:
        """`frame` delayed by the engine's delay (the dry signal, aligned with the wet)."""
        if not self._hold:
            return frame
        buf = self._hold + frame
        self._hold = buf[FRAME_BYTES:]
        return buf[:FRAME_BYTES]

    def stop(self) -> None:
        self._engine = None

    def _fail(self, reason: str) -> None:
        self.faults += 1
        if self.fault is None:
            self.fault = reason
            log.warning("%s; audio passes through unprocessed", reason)
            if self._on_fault is not None:
                self._on_fault(reason)
