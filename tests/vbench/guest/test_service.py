"""System tests: the real gateway service (`firmware.service.app.Service`, what `deskgate run
--board vbench` builds) on the guest's real devices: the gadget headset over hidraw, LED class
LEDs, the evdev state button, the ACM console driven by `gwctl` over /dev/ttyACM0, and the
audio bridge on snd-aloop cards.

The service runs in this process, on its own thread and event loop, because the phone side has
no external interface yet: calls arrive through `Gateway.submit` (the path the simulated
board's traffic generator uses). Everything else goes through the kernel. Timings are recorded
in the bench's measurements, never asserted (the emulator's clock says nothing about a Pi).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.vbench.guest.devices import BOARD, LED_LINKS, vgadget, wait_until

TOKEN = "vbench-technician-token"
BASELINE = bytes.fromhex("020000")
HOOK_UP = bytes.fromhex("020100")
MUTE_PRESS = bytes.fromhex("020900")  # hook still up, Phone Mute pulse
RING = bytes.fromhex("028800")  # Ring LED + Ringer
OFF_HOOK = bytes.fromhex("020100")
OFF_HOOK_MUTED = bytes.fromhex("020500")
IDLE = bytes.fromhex("020000")
BIN = Path(sys.executable).parent


class GuestGateway:
    """The service on a thread; records collected as the core makes them."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "console.token").write_text(TOKEN)
        os.chmod(state_dir / "console.token", 0o600)
        self.state_dir = state_dir
        self.records: list[Any] = []
        self.status: int | None = None
        self.error: BaseException | None = None
        self.loop = asyncio.new_event_loop()
        self.built = threading.Event()
        self.thread = threading.Thread(target=self._run, name="gateway", daemon=True)
        self.thread.start()
        assert self.built.wait(120), "the service was not built within 120 s"
        if self.error is not None:
            raise AssertionError(f"the service did not start: {self.error!r}")

    def _run(self) -> None:
        """Build and serve on this thread (the journal's SQLite handle belongs to it)."""
        from firmware.service.app import Options, Service
        from firmware.service.logs import setup_logging

        options = Options(
            board="vbench",
            config=BOARD / "site.toml",
            console="/dev/ttyGS0",
            state_dir=str(self.state_dir),
        )
        try:
            self.service = Service(options, setup_logging())
            self.service.setup()
            self.service.acd.listeners.append(self.records.extend)
        except BaseException as exc:
            self.error = exc
            self.built.set()
            return
        self.built.set()
        asyncio.set_event_loop(self.loop)
        self.status = self.loop.run_until_complete(self.service.run())

    @property
    def gateway(self) -> Any:
        return self.service.gateway

    def submit(self, event: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.gateway.submit, event)

    def find(self, rtype: str, **fields: Any) -> Any:
        for record in list(self.records):
            if record.type == rtype and all(record.get(k) == v for k, v in fields.items()):
                return record
        return None

    def wait_record(self, rtype: str, timeout: float = 30.0, **fields: Any) -> Any:
        record = wait_until(lambda: self.find(rtype, **fields), timeout)
        assert record, f"no {rtype} {fields} in {timeout} s; records: {self.records[-10:]}"
        return record

    def seated(self) -> bool:
        seat = self.gateway.bridge.seats.get("alice")
        return seat is not None and seat.connected

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.service.stop)
        self.thread.join(30)


def led(name: str) -> str:
    """What an LED of board/vbench shows, read back from sysfs: off, on, or timer."""
    path = LED_LINKS / name
    trigger = (path / "trigger").read_text()
    if "[timer]" in trigger:
        return "timer"
    return "on" if int((path / "brightness").read_text()) else "off"


@pytest.fixture(scope="module")
def gw(
    gadget_spec: Any, headset_end: Any, uinput_leds: Any, uinput_button: Any, tmp_path_factory: Any
) -> Iterator[GuestGateway]:
    vgadget.bind(gadget_spec)
    headset_end.drain()
    gateway = GuestGateway(tmp_path_factory.mktemp("gateway") / "state")
    try:
        assert wait_until(gateway.seated, 60), "the service never seated the gadget headset"
        assert headset_end.wait_for(IDLE, 10), "no idle state written at attach"
        headset_end.send(BASELINE)  # the first input report is the baseline
        yield gateway
    finally:
        gateway.stop()
    assert gateway.status == 0


def _call(gw: GuestGateway, end: Any, call: str) -> float:
    """Offer `call`, answer it by hook; returns hook press → Off-Hook report seconds."""
    gw.submit({"event": "call_arrived", "call": call, "queue": "Q"})
    assert end.wait_for(RING, 30), f"{call}: no ring report"
    gw.wait_record("OFFER_STARTED", agent="alice", call=call)
    t0 = time.perf_counter()
    end.send(HOOK_UP)
    got = end.wait_for(OFF_HOOK, 30)
    latency = time.perf_counter() - t0
    assert got, f"{call}: no Off-Hook report after the hook press"
    gw.wait_record("CALL_CONNECTED", agent="alice", call=call)
    return latency


def _hang_up(gw: GuestGateway, end: Any, call: str) -> None:
    time.sleep(0.6)  # past the echo window of our own Off-Hook write
    end.send(BASELINE)
    assert end.wait_for(IDLE, 30), f"{call}: no idle report after hang-up"
    gw.wait_record("CALL_ENDED", call=call)


def test_call_audio_through_the_uplink(
    gw: GuestGateway, headset_end: Any, measurements: dict[str, Any]
) -> None:
    from firmware.audio.backend import select_device
    from firmware.audio.frames import StreamFormat
    from firmware.audio.pyaudio_backend import PyAudioBackend

    bridge = gw.gateway.audio
    assert bridge is not None, "the service built no audio bridge"
    _call(gw, headset_end, "A1")
    rate = 16_000
    rng = np.random.default_rng(4)
    t = np.arange(rate * 4) / rate
    speech = (np.sin(2 * np.pi * 220 * t) * 8000 * (np.sin(2 * np.pi * 0.5 * t) > 0)).astype(
        np.int16
    )
    noise = rng.normal(0, 600, len(t)).astype(np.int16)
    played = (speech + noise).astype(np.int16).tobytes()
    assert bridge.stats().muted is False
    before = bridge.stats().uplink
    backend = PyAudioBackend()
    devices = backend.devices()
    sent = {"at": 0}
    got = bytearray()

    def produce(n: int) -> bytes:
        chunk = played[sent["at"] : sent["at"] + 2 * n]
        sent["at"] += 2 * n
        return chunk + b"\0" * (2 * n - len(chunk))

    fmt = StreamFormat(rate, 1)
    inp = backend.open_input(select_device(devices, "hw:1,1", "input"), fmt, 1024, got.extend)
    out = backend.open_output(select_device(devices, "hw:0,0", "output"), fmt, 1024, produce)
    try:
        inp.start()
        out.start()
        assert wait_until(lambda: len(got) >= len(played) + rate, 90, 0.2), len(got)
    finally:
        out.close()
        inp.close()
        backend.close()
    stats = bridge.stats()
    after = stats.uplink
    measurements["uplink_levels_dbfs"] = {"mic": stats.mic_dbfs, "line": stats.line_dbfs}
    _hang_up(gw, headset_end, "A1")
    line = np.frombuffer(bytes(got[: len(got) // 2 * 2]), dtype=np.int16).astype(np.float64)
    measurements["uplink_frames"] = {
        "processed": after.frames - before.frames,
        "overruns": after.overruns - before.overruns,
        "dropped": after.dropped - before.dropped,
        "underruns": after.underruns - before.underruns,
        "device_xruns": after.device_xruns - before.device_xruns,
        "stage_errors": after.stage_errors - before.stage_errors,
    }
    line_rms = float(np.sqrt(np.mean(line**2))) if len(line) else 0.0
    mic = np.frombuffer(played, dtype=np.int16).astype(np.float64)
    (mic_pause, mic_speech) = _quartile_rms(mic)
    (line_pause, line_speech) = _quartile_rms(_from_onset(line, len(mic)))
    measurements["uplink_rms_pauses_vs_speech"] = {  # quietest / loudest quarter of 20 ms frames
        "played": [mic_pause, mic_speech],
        "line": [line_pause, line_speech],
    }
    assert after.frames > before.frames, "the uplink processed no frames during the call"
    assert line_rms > 100, "the phone line carried silence while speech was played"
    # noise suppression on the uplink: the pauses (noise only) get quieter, the tone bursts stay
    assert line_pause < 0.9 * mic_pause, (
        f"pauses not quieter on the line: {line_pause} vs {mic_pause}"
    )
    assert line_speech > 0.5 * mic_speech, f"speech lost: {line_speech} vs {mic_speech}"


def _from_onset(x: Any, n: int) -> Any:
    """`n` samples from the first one that is not near silence (the line's latency skipped)."""
    loud = np.flatnonzero(np.abs(x) > 50)
    return x[int(loud[0]) : int(loud[0]) + n] if len(loud) else x[:n]


def _quartile_rms(x: Any) -> list[float]:
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    rms = np.sort(np.sqrt(np.mean(frames**2, axis=1)))
    q = max(1, len(rms) // 4)
    return [round(float(np.mean(rms[:q])), 1), round(float(np.mean(rms[-q:])), 1)]


def test_offer_answered_by_hook_then_mute_and_hang_up(
    gw: GuestGateway, headset_end: Any, measurements: dict[str, Any]
) -> None:
    # ready: green steady (the indicators are painted once the devices are up)
    assert wait_until(lambda: led("ready") == "on" and led("withdrawn") == "off", 30)
    latencies = [_call(gw, headset_end, "C1")]
    assert wait_until(lambda: led("withdrawn") == "on" and led("ready") == "off", 10)  # in a call
    headset_end.send(MUTE_PRESS)
    headset_end.send(HOOK_UP)  # the pulse ends
    assert headset_end.wait_for(OFF_HOOK_MUTED, 30), "no Mute LED report"
    assert wait_until(lambda: led("withdrawn") == "timer", 10)  # muted: red wink
    _hang_up(gw, headset_end, "C1")
    assert wait_until(lambda: led("ready") == "on", 10)
    for n in range(2, 7):
        latencies.append(_call(gw, headset_end, f"C{n}"))
        _hang_up(gw, headset_end, f"C{n}")
    measurements["hook_to_off_hook_report_ms"] = {
        "p50": round(statistics.median(latencies) * 1000, 1),
        "max": round(max(latencies) * 1000, 1),
        "n": len(latencies),
    }


def test_a_call_ended_muted_leaves_the_uplink_unmuted(gw: GuestGateway) -> None:
    # runs after test_offer_answered_by_hook_then_mute_and_hang_up, whose first call ended muted
    # (regression: the service once reset the Mute LED but left the audio bridge muted)
    assert gw.gateway.muted.get("alice") is False  # the headset's Mute LED is off again
    assert gw.gateway.audio.stats().muted is False, "the audio bridge is still muted"


def _gwctl(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`gwctl --port /dev/ttyACM0 ARGS`. The bound is a hang guard, not a deadline: a Python
    start under TCG, sharing the vCPU with the service's audio, has taken over 100 s on a
    loaded host. A run past it is failed with its Python stack (faulthandler, dumped on
    SIGABRT) and whatever it printed."""
    cmd = [str(BIN / "gwctl"), "--port", "/dev/ttyACM0", "--timeout", "15", *args]
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        stdout, stderr = proc.communicate(timeout=30)
        pytest.fail(f"{' '.join(cmd)} hung for {timeout} s:\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def test_console_over_acm_with_gwctl(gw: GuestGateway, measurements: dict[str, Any]) -> None:
    from host_tools.gwctl.link import connect

    link = connect("/dev/ttyACM0", TOKEN, timeout=15)
    times = []
    try:
        for _ in range(20):
            t0 = time.perf_counter()
            status = link.call("status")
            times.append(time.perf_counter() - t0)
        assert list(status["agents"]) == ["alice"]
        assert status["agents"]["alice"]["status"] == "ready"
    finally:
        link.close()
    measurements["console_status_round_trip_ms"] = {
        "p50": round(statistics.median(times) * 1000, 1),
        "max": round(max(times) * 1000, 1),
        "n": len(times),
    }
    t0 = time.perf_counter()
    out = _gwctl("hid", "list", "--json")
    measurements["gwctl_hid_list_command_s"] = round(time.perf_counter() - t0, 1)
    assert out.returncode == 0, out.stderr
    assert '"VBENCH-ALICE"' in out.stdout
    out = _gwctl("--token", TOKEN, "state", "alice", "withdrawn", "--reason", "break")
    assert out.returncode == 0, out.stderr
    gw.wait_record("STATUS_CHANGED", agent="alice", to="withdrawn", reason="break")
    assert wait_until(lambda: led("withdrawn") == "on" and led("ready") == "off", 10)


def test_state_button_changes_the_agent(gw: GuestGateway, uinput_button: Any) -> None:
    from evdev import ecodes

    def press() -> None:
        uinput_button.write(ecodes.EV_KEY, ecodes.KEY_PROG1, 1)
        uinput_button.syn()
        time.sleep(0.2)
        uinput_button.write(ecodes.EV_KEY, ecodes.KEY_PROG1, 0)
        uinput_button.syn()

    before = gw.gateway.acd.state.agents["alice"].status
    press()
    want = "ready" if before != "ready" else "withdrawn"
    gw.wait_record("STATUS_CHANGED", agent="alice", to=want, origin="user")
    if want == "withdrawn":
        press()
        gw.wait_record("STATUS_CHANGED", agent="alice", to="ready", origin="user")
    assert wait_until(lambda: gw.gateway.acd.state.agents["alice"].status == "ready", 10)


def test_unplug_mid_offer_is_unreachable_and_replug_restores(
    gw: GuestGateway, gadget_spec: Any, headset_end: Any
) -> None:
    if gw.gateway.acd.state.agents["alice"].status != "ready":
        gw.submit({"event": "set_status", "agent": "alice", "status": "ready"})
        assert wait_until(lambda: gw.gateway.acd.state.agents["alice"].status == "ready", 10)
    gw.submit({"event": "call_arrived", "call": "U1", "queue": "Q"})
    assert headset_end.wait_for(RING, 30), "no ring report"
    vgadget.unbind(gadget_spec)
    gw.wait_record("OFFER_ENDED", agent="alice", call="U1", outcome="UNREACHABLE")
    gw.wait_record("DEVICE_CHANGED", agent="alice", connected=False)
    headset_end.drain()
    vgadget.bind(gadget_spec)
    assert wait_until(gw.seated, 60), "the headset was not seated again"
    assert headset_end.wait_for(IDLE, 30), "LEDs not restored at re-plug"
    headset_end.send(BASELINE)
    # the call went back to the queue and is offered again now that alice is reachable
    assert headset_end.wait_for(RING, 30), "the call was not offered again after re-plug"
    _call_answer_and_end(gw, headset_end, "U1")


def _call_answer_and_end(gw: GuestGateway, end: Any, call: str) -> None:
    end.send(HOOK_UP)
    assert end.wait_for(OFF_HOOK, 30)
    gw.wait_record("CALL_CONNECTED", agent="alice", call=call)
    _hang_up(gw, end, call)
