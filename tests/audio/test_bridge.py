"""The bridge on the fake sound system: frames flow, callbacks never block, counters count,
mute, policy at call start, device loss and return."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from firmware.audio.backend import AudioDeviceError, DeviceSpec
from firmware.audio.bridge import AudioBridge, BridgeDevices
from firmware.audio.fake import FakeAudioBackend, FakeDevice, FakeStream, Noise, Tone
from firmware.audio.frames import StreamFormat
from firmware.audio.noise import NS_DELAY_SAMPLES
from firmware.audio.policy import DEFAULT_NS_LEVEL, Role, SitePolicy
from firmware.audio.stages import MuteStage, StageChain
from tests.audio.signals import wait_until

HEADSET, LINE = "Fake USB Headset", "Fake Phone Line"


def devices(headset_rate: int = 16_000, line_rate: int = 16_000) -> BridgeDevices:
    return BridgeDevices(
        headset_mic=DeviceSpec(HEADSET, StreamFormat(headset_rate, 1)),
        headset_speaker=DeviceSpec(HEADSET, StreamFormat(headset_rate, 2)),
        phone_in=DeviceSpec("Phone", StreamFormat(line_rate, 1)),
        phone_out=DeviceSpec(LINE, StreamFormat(line_rate, 1)),
    )


@pytest.fixture
def backend() -> FakeAudioBackend:
    return FakeAudioBackend(
        [
            FakeDevice(HEADSET, 1, 2, 48_000, Tone(300.0, -20.0)),
            FakeDevice(LINE, 1, 1, 44_100, Noise(-40.0)),
        ]
    )


@pytest.fixture
def bridge(backend: FakeAudioBackend) -> Iterator[AudioBridge]:
    b = AudioBridge(backend, devices(), retry_interval=0.01)
    b.start()
    yield b
    b.stop()


def feed(s: FakeStream, bridge: AudioBridge, n: int, lane: str = "uplink") -> None:
    """Deliver `n` capture buffers one at a time, each once the worker took the last
    (a device delivers every 10 ms; a burst in one go would overrun the queue)."""
    target = getattr(bridge, lane)
    for _ in range(n):
        want = target.buffers + 1
        s.deliver()
        wait_until(lambda: target.buffers >= want)  # noqa: B023 (called before the loop goes on)


def stream(backend: FakeAudioBackend, name: str, direction: str) -> FakeStream:
    (s,) = backend.open_streams(name, direction)  # type: ignore[arg-type]
    return s


def test_uplink_moves_exact_buffers_from_headset_to_line(
    backend: FakeAudioBackend, bridge: AudioBridge
) -> None:
    mic, line = stream(backend, HEADSET, "input"), stream(backend, LINE, "output")
    feed(mic, bridge, 50)
    line.pull(60)
    assert len(line.recorded) == 60 * 160 * 2
    st = bridge.stats().uplink
    assert (st.frames, st.overruns, st.dropped) == (50, 0, 46)  # only 4 fit the out queue
    assert st.underruns == 1 and st.running  # the 5th pull found nothing ready
    line.xruns = 3  # PortAudio flagged an output underflow three times
    assert bridge.stats().uplink.device_xruns == 3
    assert bridge.stats().mic_dbfs == pytest.approx(-20.0, abs=0.5)


def test_downlink_converts_to_the_stereo_speaker(backend: FakeAudioBackend) -> None:
    b = AudioBridge(backend, devices(headset_rate=48_000, line_rate=44_100))
    b.start()
    try:
        phone, speaker = stream(backend, LINE, "input"), stream(backend, HEADSET, "output")
        assert (phone.frames_per_buffer, speaker.frames_per_buffer) == (441, 480)
        for _ in range(30):
            feed(phone, b, 1, "downlink")
            speaker.pull()
        y = np.frombuffer(bytes(speaker.recorded), dtype=np.int16).reshape(-1, 2)
        assert y.shape == (30 * 480, 2) and np.array_equal(y[:, 0], y[:, 1])
        assert y.any() and b.stats().far_dbfs > -60
    finally:
        b.stop()


def test_callback_never_blocks_when_the_worker_stalls(backend: FakeAudioBackend) -> None:
    gate = threading.Event()
    entered = threading.Event()

    class Stall:
        name, delay = "stall", 0

        def start(self) -> None: ...
        def stop(self) -> None: ...

        def process(self, frame: bytes) -> bytes:
            entered.set()
            gate.wait()
            return frame

    b = AudioBridge(backend, devices(), queue_buffers=8)
    b.uplink.set_chain(StageChain([Stall()]))
    b.start()
    try:
        mic = stream(backend, HEADSET, "input")
        mic.deliver()
        wait_until(entered.is_set)  # the worker is now stuck inside the stage
        t = threading.Thread(target=mic.deliver, args=(100,))
        t.start()
        t.join(timeout=30)
        assert not t.is_alive(), "the capture callback blocked on a stalled worker"
        assert b.uplink.overruns == 100 - 8  # the queue holds 8, the rest are counted
        line = stream(backend, LINE, "output")
        t = threading.Thread(target=line.pull, args=(20,))
        t.start()
        t.join(timeout=30)
        assert not t.is_alive(), "the playback callback blocked on a stalled worker"
        assert len(line.recorded) == 20 * 320 and not any(line.recorded)  # silence
        gate.set()
        wait_until(lambda: b.uplink.frames == 9)
    finally:
        gate.set()
        b.stop()


def test_playback_before_any_audio_is_silence_not_underruns(
    backend: FakeAudioBackend, bridge: AudioBridge
) -> None:
    line = stream(backend, LINE, "output")
    line.pull(10)
    assert not any(line.recorded) and bridge.stats().uplink.underruns == 0


def test_mute_silences_the_line_from_the_next_frame(
    backend: FakeAudioBackend, bridge: AudioBridge
) -> None:
    mic, line = stream(backend, HEADSET, "input"), stream(backend, LINE, "output")
    feed(mic, bridge, 3)
    line.pull(3)
    assert any(line.recorded)
    bridge.mute(True)
    feed(mic, bridge, 3)
    before = len(line.recorded)
    line.pull(3)
    tail = bytes(line.recorded[before:])
    # the engine's 6 ms of history drains into the first muted frame, then only zeros
    assert len(tail) == 960 and not any(tail[NS_DELAY_SAMPLES * 2 :])
    assert bridge.stats().muted


def test_latency_is_device_buffers_plus_what_is_in_flight(
    backend: FakeAudioBackend, bridge: AudioBridge
) -> None:
    mic, line = stream(backend, HEADSET, "input"), stream(backend, LINE, "output")
    assert bridge.stats().uplink.latency_ms == pytest.approx(10 + 10 + 6)
    feed(mic, bridge, 3)
    assert bridge.stats().uplink.latency_ms == pytest.approx(26 + 3 * 10)
    line.pull(3)
    assert bridge.stats().uplink.latency_ms == pytest.approx(26)
    assert bridge.stats().downlink.latency_ms == pytest.approx(20)  # no engine downstream


def test_policy_applies_at_call_start_only(backend: FakeAudioBackend) -> None:
    site = SitePolicy()
    b = AudioBridge(backend, devices(), site)
    b.start()
    try:
        assert b.start_call().ns_level == DEFAULT_NS_LEVEL and b.stats().noise_active
        site.change(Role.ADMIN, suppression=False)
        assert b.stats().settings.ns_level == DEFAULT_NS_LEVEL  # the call in progress keeps it
        settings = b.start_call()
        assert settings.ns_level == 0
        feed(stream(backend, HEADSET, "input"), b, 1)  # the worker swaps between frames
        stream(backend, LINE, "output").pull()
        assert not b.stats().noise_active and b.stats().uplink.latency_ms == pytest.approx(20)
        assert b.stats().mic_dbfs == pytest.approx(-20.0, abs=0.5)
    finally:
        b.stop()


def test_a_missing_device_is_named_with_what_exists(backend: FakeAudioBackend) -> None:
    backend.unplug(HEADSET)
    b = AudioBridge(backend, devices())
    with pytest.raises(AudioDeviceError, match="no capture device matches 'Fake USB Headset'") as e:
        b.start()
    assert "#1 Fake Phone Line" in str(e.value)
    assert all(s.closed for s in backend.streams)


def test_unplug_stops_the_stream_and_replug_restarts_it(
    backend: FakeAudioBackend, bridge: AudioBridge
) -> None:
    backend.unplug(HEADSET)
    wait_until(lambda: bridge.stats().uplink.device_error is not None)
    st = bridge.stats()
    assert not st.uplink.running and not st.downlink.running
    assert "device unplugged" in (st.uplink.device_error or "")
    line = stream(backend, LINE, "output")
    line.pull(5)  # the phone side keeps running (silence)
    backend.replug(HEADSET)
    wait_until(lambda: bridge.stats().uplink.running and bridge.stats().downlink.running)
    st = bridge.stats()
    assert st.uplink.restarts == 1 and st.downlink.restarts == 1 and st.uplink.device_error is None
    feed(stream(backend, HEADSET, "input"), bridge, 4)


def test_the_service_can_start_before_the_headset_is_plugged(backend: FakeAudioBackend) -> None:
    backend.unplug(HEADSET)
    b = AudioBridge(backend, devices(), retry_interval=0.01)
    b.start(wait_for_devices=True)
    try:
        assert not b.stats().uplink.running and b.stats().uplink.device_error
        backend.replug(HEADSET)
        wait_until(lambda: b.stats().uplink.running)
    finally:
        b.stop()


def test_a_failing_stage_lets_audio_through_and_is_counted(backend: FakeAudioBackend) -> None:
    class Broken(MuteStage):
        name = "broken"

        def process(self, frame: bytes) -> bytes:
            raise RuntimeError("bug")

    b = AudioBridge(backend, devices())
    b.uplink.set_chain(StageChain([Broken()]))
    b.start()
    try:
        feed(stream(backend, HEADSET, "input"), b, 5)
        line = stream(backend, LINE, "output")
        line.pull(4)
        assert b.uplink.stage_errors == 5 and any(line.recorded)
    finally:
        b.stop()
