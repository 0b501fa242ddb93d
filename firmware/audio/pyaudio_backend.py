"""The real sound system: `AudioBackend` over PyAudio (PortAudio, ALSA on the board).

PortAudio calls our callbacks on its own thread; they only hand bytes over (see lane.py).
PortAudio lists devices once, when it is initialised: to see a headset plugged in later the
backend re-initialises PortAudio, which it only does while none of its streams is open.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import pyaudio

from firmware.audio.backend import (
    AudioDeviceError,
    DeviceInfo,
    Direction,
    InputCallback,
    OutputCallback,
    describe_devices,
)
from firmware.audio.frames import StreamFormat

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence what ALSA and JACK print on fd 2 while PortAudio probes them (harmless noise
    such as "Unknown PCM dmix" that would bury our own messages)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PyAudioStream:
    """One PortAudio callback stream. `active` turns False when PortAudio stops it
    (device error or removal); `error` then says so. Status flags PortAudio passes to the
    callback (input overflow, output underflow) are counted in `xruns`."""

    def __init__(self, owner: PyAudioBackend, stream: Any, label: str) -> None:
        self._owner = owner
        self._stream = stream
        self.label = label
        self.xruns = 0
        self._closed = False

    @property
    def active(self) -> bool:
        if self._closed:
            return False
        try:
            return bool(self._stream.is_active())
        except (OSError, ValueError):  # PortAudio error on a vanished device
            return False

    @property
    def error(self) -> str | None:
        if self._closed or self.active:
            return None
        return f"{self.label}: stream stopped (device removed or failed)"

    def start(self) -> None:
        try:
            self._stream.start_stream()
        except OSError as exc:
            raise AudioDeviceError(f"{self.label}: cannot start: {exc}") from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._stream.stop_stream()
        with contextlib.suppress(OSError):
            self._stream.close()
        self._owner._forget(self)


class PyAudioBackend:
    """PortAudio through PyAudio. Raises `AudioDeviceError` when PortAudio cannot start or a
    device cannot be opened in the asked format (the message lists the devices)."""

    def __init__(self) -> None:
        self._pa: Any = None
        self._open: list[PyAudioStream] = []
        self._init()

    def _init(self) -> None:
        try:
            with _quiet_stderr():
                self._pa = pyaudio.PyAudio()
        except Exception as exc:  # PortAudio raises plain Exception/OSError on init failure
            raise AudioDeviceError(f"cannot start the sound system (PortAudio): {exc}") from None

    def _forget(self, stream: PyAudioStream) -> None:
        if stream in self._open:
            self._open.remove(stream)

    def devices(self) -> list[DeviceInfo]:
        if not self._open:  # rescan: PortAudio only enumerates at initialisation
            with _quiet_stderr():
                self._pa.terminate()
            self._init()
        return self._list()

    def _list(self) -> list[DeviceInfo]:
        out = []
        for i in range(self._pa.get_device_count()):
            try:
                d = self._pa.get_device_info_by_index(i)
                api = self._pa.get_host_api_info_by_index(d["hostApi"])["name"]
            except (OSError, ValueError):
                continue
            out.append(
                DeviceInfo(
                    index=i,
                    name=str(d["name"]),
                    max_input_channels=int(d["maxInputChannels"]),
                    max_output_channels=int(d["maxOutputChannels"]),
                    default_rate=int(d["defaultSampleRate"]),
                    host_api=str(api),
                )
            )
        return out

    def default_device(self, direction: Direction) -> DeviceInfo | None:
        try:
            if direction == "input":
                index = int(self._pa.get_default_input_device_info()["index"])
            else:
                index = int(self._pa.get_default_output_device_info()["index"])
        except OSError:  # "No Default Input Device Available"
            return None
        return next((d for d in self._list() if d.index == index), None)

    def _open_stream(
        self,
        device: DeviceInfo,
        direction: Direction,
        fmt: StreamFormat,
        frames_per_buffer: int,
        callback: Any,
    ) -> PyAudioStream:
        label = f"{device.name} ({direction})"
        # PortAudio dereferences the device index unchecked: a stale index (device gone
        # since it was listed) crashes the process inside Pa_OpenStream. Check it first.
        current = {d.index: d.name for d in self._list()}
        if current.get(device.index) != device.name:
            raise AudioDeviceError(
                f"{label}: cannot open: the device is gone (not in PortAudio's list any more)"
            )
        try:
            with _quiet_stderr():
                raw = self._pa.open(
                    format=pyaudio.paInt16,
                    channels=fmt.channels,
                    rate=fmt.rate,
                    input=direction == "input",
                    output=direction == "output",
                    input_device_index=device.index if direction == "input" else None,
                    output_device_index=device.index if direction == "output" else None,
                    frames_per_buffer=frames_per_buffer,
                    stream_callback=callback,
                    start=False,
                )
        except (OSError, ValueError) as exc:
            raise AudioDeviceError(
                f"{label}: cannot open {fmt.channels} ch at {fmt.rate} Hz: {exc}\n"
                f"devices:\n{describe_devices(self.devices())}"
            ) from None
        stream = PyAudioStream(self, raw, label)
        self._open.append(stream)
        return stream

    def open_input(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: InputCallback
    ) -> PyAudioStream:
        holder: list[PyAudioStream] = []

        def callback(data: bytes, frames: int, info: Any, status: int) -> tuple[None, int]:
            if status and holder:
                holder[0].xruns += 1
            cb(data)
            return None, pyaudio.paContinue

        stream = self._open_stream(device, "input", fmt, frames_per_buffer, callback)
        holder.append(stream)
        return stream

    def open_output(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: OutputCallback
    ) -> PyAudioStream:
        holder: list[PyAudioStream] = []

        def callback(data: None, frames: int, info: Any, status: int) -> tuple[bytes, int]:
            if status and holder:
                holder[0].xruns += 1
            return cb(frames), pyaudio.paContinue

        stream = self._open_stream(device, "output", fmt, frames_per_buffer, callback)
        holder.append(stream)
        return stream

    def close(self) -> None:
        for s in list(self._open):
            s.close()
        if self._pa is not None:
            self._pa.terminate()
            self._pa = None
