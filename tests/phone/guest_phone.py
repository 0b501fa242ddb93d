"""Virtual-bench test of the phone side's audio (runs inside the QEMU guest only).

Plugged in by `tests/vbench/guest/test_phone.py` containing
`from tests.phone.guest_phone import test_call_audio_over_sip  # noqa: F401`, which gives
it the guest fixtures (`gadget_spec`, `headset_end`, `measurements`) of
tests/vbench/guest/conftest.py; until then it runs as an extra path of the guest session:
`vbench.run_bench(pytest_args=["tests/phone/guest_phone.py", "-k", "over_sip"])` (the
fixtures are imported below for that case). It needs what the host test run already has: baresip and
sipp (the guest sees the host root over 9p), snd-aloop cards 0–3 as guest-init.sh loads
them, and soundfile/soxr for the typing noise.

The whole path, with real clocked devices:
  speech + typing → hw:0,0 (gadget headset mic) → audio bridge: capture hw:0,1, noise
  suppression, play hw:1,0 → baresip (seat source plughw:1,1) → RTP → the far end (here)
  the far end's 1 kHz tone → RTP → baresip (seat player plughw:2,0) → audio bridge: capture
  hw:2,1, play hw:3,0 (headset speaker) → captured here on hw:3,1.
sipp places the call (tests/phone/data/far_end.xml) with an SDP that points the media at a
UDP socket of this test, which records baresip's PCMU and sends the tone back (symmetric
RTP). Asserted: the call was offered, answered by the gadget's hook and connected; the
received RTP keeps the speech (energy in speech segments) while the energy in the speech
pauses, relative to the speech, drops below what the microphone was fed; the tone reaches
the headset speaker side. Levels and the ratios are recorded in the bench's measurements.

Status (2026-11-22, QEMU TCG, -smp 1): the devices are paired and agree, as /proc/asound
shows during the call (recorded as `phone_asound`): the bridge plays card 1 pcm0p sub0 and
baresip captures card 1 pcm1c sub0, both S16_LE/1 ch/16 kHz (bridge period 1024, baresip
320), so the `ausrc` switch does reach the running call. With queue_buffers 16 one run passed
(pause/speech fed -15.4 dB, RTP -28.4 dB) and one failed with near-silent RTP: the uplink
lane's worker fell behind on the one emulated vCPU (overruns 789 and underruns 628 of 1058
buffers, `phone_bridge_uplink`), so the line out carried mostly the lane's underrun silence
while its level meter, upstream of the device, still read speech. Hence QUEUE_BUFFERS here.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.vbench.guest.conftest import (  # noqa: F401  (fixtures, when run from here)
    gadget_spec,
    headset_end,
    measurements,
)
from tests.vbench.guest.devices import BOARD, vgadget, wait_until

ADDRESS = "10.77.0.1"
RTP_PORT = 40000
SCENARIO = Path(__file__).parent / "data" / "far_end.xml"
RATE = 16_000
QUEUE_BUFFERS = 48
HOOK_UP, BASELINE = bytes.fromhex("020100"), bytes.fromhex("020000")
RING, IDLE = bytes.fromhex("028800"), bytes.fromhex("020000")
PHONE = f"""
[phone]
address = "{ADDRESS}"
codecs = ["PCMU"]
[phone.lines]
Q = 1
[phone.seats.alice]
source = "alsa,plughw:1,1"
player = "alsa,plughw:2,0"
"""


def ulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8)
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = ((mantissa.astype(np.int32) << 3) + 0x84) << exponent
    return np.where(sign != 0, -(magnitude - 0x84), magnitude - 0x84).astype(np.float64)


def ulaw_encode(x: np.ndarray) -> bytes:
    x = np.clip(x, -32635, 32635).astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    x = np.abs(x) + 0x84
    exponent = np.clip(np.floor(np.log2(x)).astype(np.int32) - 7, 0, 7)
    mantissa = (x >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


class FarEnd:
    """The far end's media: records PCMU from baresip, answers with a tone (RTP, 20 ms)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ADDRESS, RTP_PORT))
        self.sock.settimeout(0.2)
        self.received = bytearray()
        self.arrivals: list[float] = []
        self.packets: list[tuple[float, int, bytes]] = []  # (arrival, RTP timestamp, PCMU)
        self.peer: tuple[str, int] | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        seq, ts = 0, 0
        t = np.arange(160) / 8000
        next_send = time.monotonic()
        while not self.stop.is_set():
            try:
                packet, peer = self.sock.recvfrom(2048)
                if len(packet) > 12 and packet[1] & 0x7F == 0:
                    self.peer = peer
                    self.received += packet[12:]
                    self.arrivals.append(time.monotonic())
                    ts = struct.unpack("!I", packet[4:8])[0]
                    self.packets.append((self.arrivals[-1], ts, packet[12:]))
            except TimeoutError:
                pass
            if self.peer is not None and time.monotonic() >= next_send:
                tone = 8000 * np.sin(2 * np.pi * 1000 * (t + ts / 8000))
                header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts, 0x5EED)
                self.sock.sendto(header + ulaw_encode(tone), self.peer)
                seq, ts, next_send = seq + 1, ts + 160, next_send + 0.02

    def timeline(self, since: float) -> np.ndarray:
        """The audio received after `since`, placed by RTP timestamp: under emulation packets
        come in bursts and late, but baresip stamps them by its source's sample clock."""
        packets = [(ts, pcmu) for t, ts, pcmu in list(self.packets) if t >= since]
        if not packets:
            return np.zeros(0)
        first = packets[0][0]
        span = max((ts - first) % (1 << 32) for ts, _ in packets) + 160
        out = np.zeros(min(span, 8000 * 120))
        for ts, pcmu in packets:
            i = (ts - first) % (1 << 32)
            chunk = ulaw_decode(pcmu)[: max(0, out.size - i)]
            out[i : i + chunk.size] = chunk
        return out

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def speech_with_typing(seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """(mix, clean speech) at 16 kHz: the shared CMU Arctic utterance after 0.5 s and a
    pause after it, typing noise throughout (bench_audio_quality's key presses)."""
    from tests.bench.bench_audio_quality import SHARED, load_16k, typing_noise

    utterance = load_16k(SHARED / "speech" / "cmu_arctic_us_aew_a0001.wav")
    clean = np.zeros(int(seconds * RATE))
    i = int(0.5 * RATE)
    clean[i : i + utterance.size] = utterance[: max(0, clean.size - i)]
    clean *= 6000 / (np.sqrt(np.mean(clean[clean != 0] ** 2)) + 1e-9)
    typing = typing_noise(seconds, np.random.default_rng(7))
    typing *= 1500 / (np.sqrt(np.mean(typing**2)) + 1e-9)
    return np.clip(clean + typing, -32000, 32000), clean


def pause_to_speech_db(signal: np.ndarray, clean: np.ndarray, rate: int) -> float:
    """Energy in the speech pauses relative to the energy in speech (dB), on 20 ms frames;
    speech frames are those where the clean reference is within 30 dB of its peak."""
    n = rate // 50
    frames = min(signal.size, clean.size) // n
    ref = np.array([np.mean(clean[i * n : (i + 1) * n] ** 2) for i in range(frames)])
    sig = np.array([np.mean(signal[i * n : (i + 1) * n] ** 2) for i in range(frames)])
    speech = ref > ref.max() * 1e-3
    pause = ref < ref.max() * 1e-7
    return float(10 * np.log10((sig[pause].mean() + 1e-9) / (sig[speech].mean() + 1e-9)))


def align(received: np.ndarray, clean: np.ndarray, rate: int) -> np.ndarray:
    """`received` shifted so that its speech envelope lines up with the clean one."""
    n = rate // 100
    env = lambda x: np.sqrt(np.convolve(x**2, np.ones(n) / n, "same"))[::n]  # noqa: E731
    a, b = env(received), env(clean)
    corr = np.correlate(a - a.mean(), b - b.mean(), "full")
    lag = (int(np.argmax(corr)) - (b.size - 1)) * n
    return received[lag:] if lag > 0 else np.concatenate([np.zeros(-lag), received])


def _asound_snapshot() -> dict[str, str]:
    """The loopback cards' stream states (/proc/asound), to tell which end is open how."""
    out: dict[str, str] = {}
    for card in (1, 2):
        for path in sorted(Path(f"/proc/asound/card{card}").glob("pcm*/sub*/*")):
            if path.name in ("hw_params", "status", "sw_params"):
                try:
                    out[str(path)] = " | ".join(path.read_text().split("\n")[:8])
                except OSError as exc:
                    out[str(path)] = repr(exc)
    return out


class PhoneGateway:
    """The service (board vbench, its site plus [phone]) on its own thread and loop."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.site = state_dir.parent / "site-phone.toml"
        site = (BOARD / "site.toml").read_text()
        # one emulated vCPU runs the test's streams, baresip and the noise suppression: a
        # deeper uplink queue rides out TCG's stalls (16 x 64 ms overran: silent RTP)
        site = site.replace("queue_buffers = 16", f"queue_buffers = {QUEUE_BUFFERS}")
        self.site.write_text(site + PHONE)
        self.state_dir = state_dir
        self.records: list[Any] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.status: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(120), "the service was not built within 120 s"
        assert self.error is None, f"the service did not start: {self.error!r}"

    def _run(self) -> None:
        from firmware.service.app import Options, Service
        from firmware.service.logs import setup_logging

        try:
            options = Options(
                board="vbench", config=self.site, console="", state_dir=str(self.state_dir)
            )
            self.service = Service(options, setup_logging())
            self.service.setup()
            self.service.acd.listeners.append(self.records.extend)
        except BaseException as exc:
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        asyncio.set_event_loop(self.loop)
        self.status = self.loop.run_until_complete(self.service.run())

    def find(self, rtype: str) -> Any:
        return next((r for r in list(self.records) if r.type == rtype), None)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.service.stop)
        self.thread.join(30)


def test_call_audio_over_sip(
    gadget_spec: Any,  # noqa: F811  (the fixtures imported above)
    headset_end: Any,  # noqa: F811
    measurements: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    from firmware.audio.backend import select_device
    from firmware.audio.frames import StreamFormat
    from firmware.audio.pyaudio_backend import PyAudioBackend

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "replace", f"{ADDRESS}/32", "dev", "lo"], check=True)
    vgadget.bind(gadget_spec)
    headset_end.drain()
    gw = PhoneGateway(tmp_path / "state")
    far = FarEnd()
    sipp: subprocess.Popen[bytes] | None = None
    backend = PyAudioBackend()
    streams: list[Any] = []
    try:
        assert wait_until(lambda: gw.service.gateway.bridge.seats.get("alice"), 60)
        assert headset_end.wait_for(IDLE, 10), "no idle state written at attach"
        headset_end.send(BASELINE)
        assert wait_until(lambda: gw.service.phone is not None and gw.service.phone.up.is_set(), 60)
        sipp = subprocess.Popen(
            ["sipp", "-sf", str(SCENARIO), "-i", ADDRESS, "-p", "5070", "-s", "Q-1",
             f"{ADDRESS}:5060", "-m", "1", "-timeout", "90", "-nostdin",
             "-key", "rtp_port", str(RTP_PORT)],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert headset_end.wait_for(RING, 60), "the headset never rang for the SIP call"
        headset_end.send(HOOK_UP)
        assert wait_until(lambda: gw.find("CALL_CONNECTED"), 30), gw.records[-10:]
        assert wait_until(lambda: far.peer is not None, 30), "no RTP from baresip"
        mix, clean = speech_with_typing(6.0)
        played, heard = mix.astype(np.int16).tobytes(), bytearray()
        at = {"i": 0}

        def produce(n: int) -> bytes:
            chunk = played[at["i"] : at["i"] + 2 * n]
            at["i"] += 2 * n
            return chunk + b"\0" * (2 * n - len(chunk))

        fmt = StreamFormat(RATE, 1)
        devices = backend.devices()
        speaker = backend.open_input(
            select_device(devices, "hw:3,1", "input"), fmt, 1024, heard.extend
        )
        mic = backend.open_output(select_device(devices, "hw:0,0", "output"), fmt, 1024, produce)
        streams += [speaker, mic]
        started = time.monotonic()
        speaker.start()
        mic.start()
        assert wait_until(lambda: at["i"] >= len(played), 120, 0.2), "the mic stream stalled"
        time.sleep(4.0)  # the tail of the uplink (up to QUEUE_BUFFERS x 64 ms behind)
        received = far.timeline(started)
        measurements["phone_asound"] = _asound_snapshot()
        measurements["phone_bridge_uplink"] = repr(gw.service.gateway.audio.stats().uplink)
        stats = gw.service.gateway.audio.stats()
        measurements["phone_bridge_levels_dbfs"] = {"mic": stats.mic_dbfs, "line": stats.line_dbfs}
        span = far.arrivals[-1] - far.arrivals[0] if far.arrivals else 0.0
        measurements["phone_rtp_packets"] = {"count": len(far.arrivals), "span_s": round(span, 2)}
    finally:
        line = getattr(getattr(gw, "service", None), "phone", None)
        if line is not None and line.process is not None:
            measurements["phone_baresip_tail"] = list(line.process.tail)[-40:]
        for stream in streams:
            stream.close()
        backend.close()
        far.close()
        if sipp is not None:
            sipp.terminate()
            sipp.wait(10)
        gw.stop()
    # the far end heard the call at 8 kHz: compare on the clean reference resampled
    import soxr

    clean8 = soxr.resample(clean, RATE, 8000)
    mix8 = soxr.resample(mix, RATE, 8000)
    out = align(received, clean8, 8000)
    fed = pause_to_speech_db(mix8, clean8, 8000)
    got = pause_to_speech_db(out, clean8, 8000)
    speaker_pcm = np.frombuffer(bytes(heard[: len(heard) // 2 * 2]), dtype=np.int16)
    spectrum = np.abs(np.fft.rfft(speaker_pcm.astype(np.float64)))
    freqs = np.fft.rfftfreq(speaker_pcm.size, 1 / RATE)
    tone_share = float(spectrum[(freqs > 950) & (freqs < 1050)].sum() / (spectrum.sum() + 1e-9))
    measurements["phone_uplink_pause_to_speech_db"] = {"fed": round(fed, 1), "rtp": round(got, 1)}
    measurements["phone_rtp_seconds"] = round(received.size / 8000, 2)
    measurements["phone_downlink_tone_share"] = round(tone_share, 3)
    assert received.size > 4 * 8000, "the far end received less than 4 s of RTP"
    assert np.sqrt(np.mean(out**2)) > 100, "the far end heard silence"
    assert got < fed - 6, f"typing in the pauses not reduced: fed {fed:.1f} dB, RTP {got:.1f} dB"
    assert tone_share > 0.2, "the far end's tone did not reach the headset speaker side"
