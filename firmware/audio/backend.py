"""The seam between the audio path and the sound system: `AudioBackend` and device selection.

A backend lists devices and opens callback streams; `pyaudio_backend.PyAudioBackend` is the
real one, `fake.FakeAudioBackend` the in-package fake. Configuration names devices by name
or ALSA id; `select_device` resolves that against what the backend lists and raises
`AudioDeviceError` naming what exists when nothing matches.

Callbacks run on the sound system's thread: they must only hand bytes over and return.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from firmware.audio.frames import StreamFormat

Direction = Literal["input", "output"]

InputCallback = Callable[[bytes], None]
"""Receives one capture buffer (whole sample frames)."""

OutputCallback = Callable[[int], bytes]
"""Asked for `n` sample frames of playback; must return exactly n × frame_bytes bytes."""


class AudioDeviceError(Exception):
    """A configured device is missing or cannot be opened; the message lists what exists."""


@dataclass(frozen=True)
class DeviceInfo:
    """One device as the sound system lists it."""

    index: int
    name: str
    max_input_channels: int
    max_output_channels: int
    default_rate: int
    host_api: str = ""

    @property
    def alsa_id(self) -> str | None:
        """`hw:1,0` when the name carries it (ALSA devices in PortAudio are "Name: … (hw:1,0)")."""
        m = re.search(r"\((hw:\d+,\d+)\)", self.name)
        return m.group(1) if m else None

    def channels(self, direction: Direction) -> int:
        return self.max_input_channels if direction == "input" else self.max_output_channels


@dataclass(frozen=True)
class DeviceSpec:
    """A device as configuration asks for it: a name or ALSA id, and the stream format.

    `name` matches, in this order: `default` (the system default), `#N` (index), an ALSA id
    (`hw:1,0`), the exact device name, then a case-insensitive substring of the name.
    """

    name: str
    format: StreamFormat


class AudioStream(Protocol):
    """An open callback stream. `active` turns False when the device fails or vanishes."""

    @property
    def active(self) -> bool: ...

    @property
    def error(self) -> str | None:
        """Why the stream stopped by itself, if it did."""
        ...

    def start(self) -> None: ...

    def close(self) -> None: ...


class AudioBackend(Protocol):
    """Lists devices and opens capture/playback callback streams on them.

    `open_*` raise `AudioDeviceError` when the device cannot be opened in that format.
    """

    def devices(self) -> list[DeviceInfo]: ...

    def default_device(self, direction: Direction) -> DeviceInfo | None: ...

    def open_input(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: InputCallback
    ) -> AudioStream: ...

    def open_output(
        self, device: DeviceInfo, fmt: StreamFormat, frames_per_buffer: int, cb: OutputCallback
    ) -> AudioStream: ...

    def close(self) -> None: ...


def describe_devices(devices: Sequence[DeviceInfo], direction: Direction | None = None) -> str:
    """One line per device, for error messages and `deskgate audio devices`."""
    lines = []
    for d in devices:
        if direction is not None and d.channels(direction) == 0:
            continue
        alsa = f" [{d.alsa_id}]" if d.alsa_id else ""
        lines.append(
            f"#{d.index} {d.name}{alsa} "
            f"(in {d.max_input_channels} ch, out {d.max_output_channels} ch, {d.default_rate} Hz)"
        )
    return "\n".join(lines)


def select_device(
    devices: Sequence[DeviceInfo],
    wanted: str,
    direction: Direction,
    default: DeviceInfo | None = None,
) -> DeviceInfo:
    """Resolve a configured device name for `direction`.

    Raises `AudioDeviceError` when nothing matches, or when several devices match a substring
    (say which), listing the devices that can do `direction`.
    """
    usable = [d for d in devices if d.channels(direction) > 0]
    found: list[DeviceInfo]
    if wanted == "default":
        found = [default] if default is not None and default.channels(direction) > 0 else []
    elif wanted.startswith("#") and wanted[1:].isdigit():
        found = [d for d in usable if d.index == int(wanted[1:])]
    elif wanted.startswith("hw:"):
        found = [d for d in usable if d.alsa_id == wanted]
    else:
        found = [d for d in usable if d.name == wanted] or [
            d for d in usable if wanted.lower() in d.name.lower()
        ]
    if len(found) == 1:
        return found[0]
    listing = describe_devices(usable) or "(none: no sound card found)"
    kind = "capture" if direction == "input" else "playback"
    if found:
        raise AudioDeviceError(
            f"{kind} device {wanted!r} is ambiguous; it matches:\n"
            f"{describe_devices(found)}\nuse the full name, the ALSA id or #index"
        )
    raise AudioDeviceError(f"no {kind} device matches {wanted!r}; {kind} devices:\n{listing}")


def open_backend(kind: str) -> AudioBackend:
    """The backend configuration names: "pyaudio" (the sound card) or "fake" (simulated desk).

    Raises `AudioDeviceError` if PortAudio cannot start, `ValueError` for an unknown kind.
    Imports lazily, so this module stays free of sound libraries.
    """
    if kind == "pyaudio":
        from firmware.audio.pyaudio_backend import PyAudioBackend

        return PyAudioBackend()
    if kind == "fake":
        from firmware.audio.fake import FakeAudioBackend

        return FakeAudioBackend(realtime=True)
    raise ValueError(f"unknown audio backend {kind!r} (known: pyaudio, fake)")
