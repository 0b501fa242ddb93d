"""The evdev source with an injected input device: key filtering, autorepeat, timestamps,
and a device that disappears."""

from __future__ import annotations

import errno

import pytest
from evdev import InputEvent, ecodes

from firmware.buttons.evdev_source import EvdevButtonSource
from firmware.buttons.source import ButtonGone, KeyEdge


class FakeDevice:
    def __init__(self, name: str = "gpio-keys", events: list[InputEvent] | None = None) -> None:
        self.name = name
        self.fd = 7
        self.events = events or []
        self.error: OSError | None = None
        self.closed = False

    def read(self) -> list[InputEvent]:
        if self.error:
            raise self.error
        if not self.events:
            raise BlockingIOError(errno.EAGAIN, "no events")
        out, self.events = self.events, []
        return out

    def close(self) -> None:
        self.closed = True


def key(sec: float, code: int, value: int) -> InputEvent:
    return InputEvent(int(sec), round((sec % 1) * 1e6), ecodes.EV_KEY, code, value)


def source(devices: dict[str, FakeDevice], spec: str = "gpio-keys") -> EvdevButtonSource:
    return EvdevButtonSource(
        spec, "KEY_PROG1", open_device=devices.__getitem__, list_devices=lambda: list(devices)
    )


def test_reads_only_the_configured_key_and_drops_autorepeat() -> None:
    prog1 = ecodes.KEY_PROG1
    dev = FakeDevice(
        events=[
            key(1000.000, prog1, 1),
            InputEvent(1000, 0, ecodes.EV_SYN, 0, 0),
            key(1000.100, ecodes.KEY_A, 1),  # another key
            key(1000.250, prog1, 2),  # autorepeat
            key(1000.300, prog1, 0),
        ]
    )
    src = source({"/dev/input/event3": dev})
    assert src.fileno() == -1  # not opened until read
    edges = src.read(now=50.0)
    # Spacing kept, newest anchored at `now` on the service's clock (evdev stamps realtime).
    assert edges == [KeyEdge(True, pytest.approx(49.7)), KeyEdge(False, 50.0)]
    assert src.read(now=51.0) == []
    assert src.fileno() == 7


def test_device_found_by_name_among_inputs() -> None:
    devices = {"/dev/input/event0": FakeDevice("keyboard"), "/dev/input/event1": FakeDevice()}
    src = source(devices)
    devices["/dev/input/event1"].events = [key(5.0, ecodes.KEY_PROG1, 1)]
    assert src.read(now=1.0) == [KeyEdge(True, 1.0)]


def test_missing_device_points_at_the_overlay() -> None:
    src = source({"/dev/input/event0": FakeDevice("keyboard")})
    with pytest.raises(ButtonGone, match=r"no input device named 'gpio-keys' .*overlay"):
        src.read(now=0.0)


def test_removed_device_raises_gone() -> None:
    dev = FakeDevice()
    src = source({"/dev/input/event1": dev})
    dev.error = OSError(errno.ENODEV, "No such device")
    with pytest.raises(ButtonGone, match=r"gpio-keys: No such device \(device removed\?\)"):
        src.read(now=1.0)
    assert dev.closed
