"""Our real backends against the guest kernel's devices: the PyAudio backend on snd-aloop,
the LED class backend on input-leds LEDs of a uinput device, the evdev state button on a
uinput key, the ACM console link, and the project's udev rule for the console port."""

from __future__ import annotations

import grp
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware.audio.backend import select_device
from firmware.audio.frames import StreamFormat
from firmware.buttons.evdev_source import EvdevButtonSource
from firmware.indicators.ledclass import LedClassIndicator
from firmware.indicators.patterns import NORMAL, Color, Pattern
from tests.vbench.guest.devices import LED_LINKS, led_events, wait_until

RATE = 16_000
FMT = StreamFormat(RATE, 1)
PERIOD = 1024  # frames per callback


def test_pyaudio_captures_the_loopback_bit_exact(measurements: dict[str, Any]) -> None:
    from firmware.audio.pyaudio_backend import PyAudioBackend

    backend = PyAudioBackend()
    devices = backend.devices()
    play = select_device(devices, "hw:0,0", "output")
    capture = select_device(devices, "hw:0,1", "input")
    signal = np.random.default_rng(8).integers(-20000, 20000, RATE * 2, dtype=np.int16)
    data = signal.tobytes()
    sent = {"at": 0}
    got = bytearray()

    def produce(n: int) -> bytes:
        chunk = data[sent["at"] : sent["at"] + 2 * n]
        sent["at"] += 2 * n
        return chunk + b"\0" * (2 * n - len(chunk))

    # Callback streams with 64 ms periods: what PortAudio keeps up with under emulation.
    inp = backend.open_input(capture, FMT, PERIOD, got.extend)
    out = backend.open_output(play, FMT, PERIOD, produce)
    try:
        inp.start()
        out.start()
        # played, plus a second of silence after it, all captured (bounded: 60 s)
        assert wait_until(lambda: len(got) >= len(data) + 2 * RATE, 60, 0.1), len(got)
    finally:
        out.close()
        inp.close()
        backend.close()
    captured = np.frombuffer(bytes(got[: len(got) // 2 * 2]), dtype=np.int16)
    starts = np.flatnonzero(captured == signal[0])
    start = next((int(s) for s in starts if np.array_equal(captured[s : s + 32], signal[:32])), -1)
    assert start >= 0, "the played signal never showed up in the capture"
    window = captured[start : start + len(signal)]
    matching = int(np.count_nonzero(window == signal[: len(window)]))
    measurements["loopback_samples_played"] = len(signal)
    measurements["loopback_samples_captured_bit_exact"] = matching
    measurements["loopback_xruns"] = inp.xruns + out.xruns
    assert len(window) == len(signal), f"capture ended early: {len(window)} of {len(signal)}"
    assert matching == len(signal), f"{len(signal) - matching} samples differ"


@pytest.fixture
def ready_led(uinput_leds: Any) -> LedClassIndicator:
    led = LedClassIndicator("ready", "ready", frozenset({Color.GREEN}), root=LED_LINKS)
    led.reopen()
    led.show(Pattern.off(), 0.0)
    led_events(uinput_leds, 0.3)  # drop what setting up caused
    return led


def test_ledclass_backend_drives_a_kernel_led(
    ready_led: LedClassIndicator, uinput_leds: Any
) -> None:
    from evdev import ecodes

    ready_led.show(Pattern(Color.GREEN), 1.0)
    assert (ecodes.LED_NUML, 1) in led_events(uinput_leds, 2.0)
    assert ready_led.readback().startswith("on")
    ready_led.show(Pattern(Color.RED), 2.0)  # not a colour the Ready LED stands for: dark
    assert (ecodes.LED_NUML, 0) in led_events(uinput_leds, 2.0)
    assert ready_led.readback() == "off"


def test_ledclass_blink_is_kept_by_the_kernel(
    ready_led: LedClassIndicator, uinput_leds: Any
) -> None:
    from evdev import ecodes

    ready_led.show(Pattern(Color.GREEN, NORMAL), 1.0)
    assert ready_led.readback() == "timer 400/400 ms"
    seen = [v for code, v in led_events(uinput_leds, 4.0) if code == ecodes.LED_NUML]
    ready_led.show(Pattern.off(), 2.0)
    assert 1 in seen and 0 in seen, f"the timer trigger did not toggle the LED: {seen}"


def test_evdev_button_reads_the_uinput_key(uinput_button: Any) -> None:
    from evdev import ecodes

    source = EvdevButtonSource("deskgate-state", "KEY_PROG1")
    try:
        assert source.read(0.0) == []  # opens the device by its input name
        for pressed in (1, 0):
            uinput_button.write(ecodes.EV_KEY, ecodes.KEY_PROG1, pressed)
            uinput_button.syn()
        edges: list[Any] = []
        wait_until(lambda: edges.extend(source.read(time.monotonic())) or len(edges) >= 2, 5)
        assert [e.pressed for e in edges] == [True, False]
        assert edges[0].at <= edges[1].at
    finally:
        source.close()


def test_acm_console_link_carries_bytes_both_ways(
    gadget_spec: Any, measurements: dict[str, Any]
) -> None:
    import serial

    host = serial.Serial("/dev/ttyACM0", 115200, timeout=5)
    device = serial.Serial("/dev/ttyGS0", 115200, timeout=5)
    times = []
    try:
        for i in range(10):
            line = f"ping {i}\n".encode()
            t0 = time.perf_counter()
            host.write(line)
            assert device.readline() == line
            device.write(line.upper())
            assert host.readline() == line.upper()
            times.append(time.perf_counter() - t0)
    finally:
        host.close()
        device.close()
    measurements["acm_line_round_trip_ms_p50"] = round(statistics.median(times) * 1000, 2)


def test_udev_gives_the_console_port_to_the_service_group(gadget_spec: Any) -> None:
    st = os.stat("/dev/ttyGS0")
    assert st.st_gid == grp.getgrnam("deskgate").gr_gid
    assert st.st_mode & 0o777 == 0o660
    assert Path("/dev/deskgate-console").resolve() == Path("/dev/ttyGS0")
