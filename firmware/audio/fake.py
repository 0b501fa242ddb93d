"""A fake sound system for tests and the simulated board: it injects and records.

Capture streams play a signal (tone, noise, silence or loaded samples); playback streams
record everything the bridge writes. Tests drive streams by hand (`deliver`, `pull`), so
runs are deterministic; with `realtime=True` a thread per stream ticks at the device's pace,
as PortAudio would. Devices can be unplugged and replugged, and streams can stall.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from firmware.audio.backend import (
    AudioDeviceError,
    DeviceInfo,
    Direction,
    InputCallback,
    OutputCallback,
)
from firmware.audio.frames import Samples, StreamFormat

Signal = Callable[[int, StreamFormat], Samples]
"""(n sample frames, format) -> n × channels interleaved int16 samples."""


class Tone:
    """A sine at `freq` Hz and `dbfs` RMS level, phase-continuous across buffers."""

    def __init__(self, freq: float = 440.0, dbfs: float = -20.0) -> None:
        self.freq = freq
        self.amplitude = 32768.0 * 10 ** (dbfs / 20) * np.sqrt(2)
        self._pos = 0

    def __call__(self, n: int, fmt: StreamFormat) -> Samples:
        t = (self._pos + np.arange(n)) / fmt.rate
        self._pos += n
        mono = np.clip(self.amplitude * np.sin(2 * np.pi * self.freq * t), -32768, 32767)
        out: Samples = np.repeat(mono.astype(np.int16), fmt.channels)
        return out


class Noise:
    """White noise at `dbfs` RMS level (seeded, so runs repeat)."""

    def __init__(self, dbfs: float = -30.0, seed: int = 0) -> None:
        self.sigma = 32768.0 * 10 ** (dbfs / 20)
        self._rng = np.random.default_rng(seed)

    def __call__(self, n: int, fmt: StreamFormat) -> Samples:
        x = self._rng.normal(0.0, self.sigma, n * fmt.channels)
        out: Samples = np.clip(x, -32768, 32767).astype(np.int16)
        return out


class Recording:
    """Plays interleaved samples (e.g. from a WAV file) in a loop, or silence once they end."""

    def __init__(self, samples: Samples, loop: bool = True) -> None:
        self.samples = samples
        self.loop = loop
        self._pos = 0

    def __call__(self, n: int, fmt: StreamFormat) -> Samples:
        want = n * fmt.channels
        parts = []
        while want > 0:
            if self._pos >= self.samples.size:
                if not self.loop or self.samples.size == 0:
                    parts.append(np.zeros(want, dtype=np.int16))
                    break
                self._pos = 0
            part = self.samples[self._pos : self._pos + want]
            self._pos += part.size
            want -= part.size
            parts.append(part)
        out: Samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        return out


def silence(n: int, fmt: StreamFormat) -> Samples:
    return np.zeros(n * fmt.channels, dtype=np.int16)


@dataclass
class FakeDevice:
    """A device of the fake sound system; `signal` is what its microphone hears."""

    name: str
    inputs: int = 1
    outputs: int = 1
    rate: int = 48_000
    signal: Signal = silence
    plugged: bool = True


@dataclass
class FakeStream:
    """One open fake stream. Drive it with `deliver` (capture) or `pull` (playback).

    `recorded` holds every byte a playback stream was given. `stalled = True` makes the
    realtime thread skip its ticks (a device that stops asking for or giving audio).
    """

    backend: FakeAudioBackend
    device: FakeDevice
    direction: Direction
    format: StreamFormat
    frames_per_buffer: int
    in_cb: InputCallback | None = None
    out_cb: OutputCallback | None = None
    recorded: bytearray = field(default_factory=bytearray)
    stalled: bool = False
    started: bool = False
    closed: bool = False
    error: str | None = None
    callbacks: int = 0
    xruns: int = 0  # what PortAudio would flag; tests set it
    _thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return self.started and not self.closed and self.error is None

    def start(self) -> None:
        self.started = True
        if self.backend.realtime and self._thread is None:
            self._thread = threading.Thread(
                target=self._tick, name=f"fake-{self.direction}-{self.device.name}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self.closed = True
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def deliver(self, buffers: int = 1, frames: int | None = None) -> None:
        """Capture: call the callback `buffers` times with `frames` sample frames each."""
        assert self.in_cb is not None, "deliver() is for capture streams"
        n = frames or self.frames_per_buffer
        for _ in range(buffers):
            if not self.active:
                return
            self.callbacks += 1
            self.in_cb(self.device.signal(n, self.format).tobytes())

    def pull(self, buffers: int = 1, frames: int | None = None) -> None:
        """Playback: ask the callback `buffers` times for `frames` sample frames each."""
        assert self.out_cb is not None, "pull() is for playback streams"
        n = frames or self.frames_per_buffer
        for _ in range(buffers):
            if not self.active:
                return
            self.callbacks += 1
            data = self.out_cb(n)
            if len(data) != n * self.format.frame_bytes:
                raise AssertionError(f"callback gave {len(data)} bytes for {n} frames")
            self.recorded += data

    def fail(self, reason: str) -> None:
        self.error = reason

    def _tick(self) -> None:
        period = self.frames_per_buffer / self.format.rate
        due = time.monotonic()
        while self.active:
            due += period
            if not self.stalled:
                if self.direction == "input":
                    self.deliver()
                else:
                    self.pull()
            time.sleep(max(0.0, due - time.monotonic()))


class FakeAudioBackend:
    """The fake sound system: `AudioBackend` over a list of `FakeDevice`.

    `open_*` raise `AudioDeviceError` for an unplugged device or an unsupported channel
    count, as PortAudio would. `unplug(name)` makes the device's streams fail;
    `replug(name)` lists it again.
    """

    def __init__(self, devices: list[FakeDevice] | None = None, realtime: bool = False) -> None:
        self.fake_devices = list(devices if devices is not None else default_devices())
        self.realtime = realtime
        self.streams: list[FakeStream] = []
        self._lock = threading.Lock()

    def device(self, name: str) -> FakeDevice:
        return next(d for d in self.fake_devices if d.name == name)

    def devices(self) -> list[DeviceInfo]:
        return [
            DeviceInfo(i, d.name, d.inputs, d.outputs, d.rate, "fake")
            for i, d in enumerate(self.fake_devices)
            if d.plugged
        ]

    def default_device(self, direction: Direction) -> DeviceInfo | None:
        return next((d for d in self.devices() if d.channels(direction) > 0), None)

    def _open(
        self, info: DeviceInfo, direction: Direction, fmt: StreamFormat, fpb: int
    ) -> FakeStream:
        dev = self.fake_devices[info.index]
        if not dev.plugged:
            raise AudioDeviceError(f"{dev.name}: device is gone (unplugged)")
        limit = dev.inputs if direction == "input" else dev.outputs
        if fmt.channels > limit:
            raise AudioDeviceError(
                f"{dev.name}: {fmt.channels} {direction} channels asked, it has {limit}"
            )
        stream = FakeStream(self, dev, direction, fmt, fpb)
        with self._lock:
            self.streams.append(stream)
        return stream

    def open_input(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: InputCallback
    ) -> FakeStream:
        stream = self._open(device, "input", fmt, frames_per_buffer)
        stream.in_cb = cb
        return stream

    def open_output(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: OutputCallback
    ) -> FakeStream:
        stream = self._open(device, "output", fmt, frames_per_buffer)
        stream.out_cb = cb
        return stream

    def open_streams(self, name: str, direction: Direction) -> list[FakeStream]:
        """The live streams on device `name` in `direction` (newest last)."""
        with self._lock:
            return [
                s
                for s in self.streams
                if s.device.name == name and s.direction == direction and not s.closed
            ]

    def unplug(self, name: str) -> None:
        dev = self.device(name)
        dev.plugged = False
        for s in self.streams:
            if s.device is dev and not s.closed:
                s.fail("device unplugged")

    def replug(self, name: str) -> None:
        self.device(name).plugged = True

    def close(self) -> None:
        for s in list(self.streams):
            s.close()


def default_devices() -> list[FakeDevice]:
    """The simulated desk: a USB headset (48 kHz) and a phone-side USB sound card (44.1 kHz)."""
    return [
        FakeDevice("Fake USB Headset", 1, 2, 48_000, Tone(300.0, -24.0)),
        FakeDevice("Fake Phone Line", 1, 1, 44_100, Tone(500.0, -30.0)),
    ]
