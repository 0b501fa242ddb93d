"""Virtual-bench test of the phone side's audio (runs inside the QEMU guest only).

`tests/vbench/guest/test_phone.py` imports it into the guest session, which gives it the
guest fixtures (`gadget_spec`, `headset_end`, `measurements`) of
tests/vbench/guest/conftest.py. To run it alone:
`python -m board.vbench.vbench -- tests/phone/guest_phone.py -k over_sip` (the fixtures are
imported below for that case). It needs what the host test run already has: baresip and
sipp (the guest sees the host root over 9p), snd-aloop cards 0–3 as guest-init.sh loads
them, soxr, and the recordings in tests/data/audio.

The whole path, with real clocked devices:
  speech + typing → hw:0,0 (gadget headset mic) → audio bridge: capture hw:0,1, noise
  suppression, play hw:1,0 → baresip (seat source plughw:1,1) → RTP → the far end (here)
  the far end's 1 kHz tone → RTP → baresip (seat player plughw:2,0) → audio bridge: capture
  hw:2,1, play hw:3,0 (headset speaker) → captured here on hw:3,1.
sipp places the call (tests/phone/data/far_end.xml) with an SDP that points the media at a
UDP socket of this test, which records baresip's PCMU and sends the tone back (symmetric
RTP). Asserted: the call was offered, answered by the gadget's hook and connected; in the
received RTP the energy in the speech pauses, relative to the speech, is at least 8 dB
below what the microphone was fed (the site turns the pause gate on), every speech frame
is audible within ±100 ms and the speech level is within 6 dB; the tone reaches the headset
speaker side. Levels and ratios are recorded in the bench's measurements.

What is compared: only the 20 ms frames the far end heard something in (a lost packet or a
lane underrun is silence the gateway made up, not silence it cleaned), with the fed mix
cut to the same frames. Until 2026-11-22 the guest had one vCPU: the uplink fell behind
(789 overruns, 628 underruns of 1058 buffers) and its made-up silence, plus a zero-padded
lead-in, passed for cleaned pauses in some runs. With two vCPUs the lane keeps up (0
overruns, 1-40 underruns in 30 s) and the frames it did not deliver are left out; each
underrun also shifts what follows by 64 ms, so the RTP is put back on the fed timeline
0.25 s at a time (`align`). 20 or more overruns mean the machine did not keep real time:
the test then skips, saying so.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.audio.signals import (
    frame_energies,
    pause_to_speech_db,
    speech_kept,
    speech_with_typing,
)
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


def align(
    received: np.ndarray, clean: np.ndarray, mix: np.ndarray, rate: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(received, clean, mix), the received audio put back on the fed timeline block by
    block: each 0.25 s of `mix` (what was fed, sample-aligned with `clean`) is found in
    `received` by normalised waveform correlation within ±0.4 s of the previous block's
    place. A lane underrun inserts 64 ms of silence and shifts what follows: one global lag
    then compares pauses with speech (seen: pauses "cleaned" by only 3 dB, envelope
    correlation 0.33). Blocks not found in `received` are left out of all three."""
    block, search = rate // 4, int(0.4 * rate)
    lag = _global_lag(received, mix, rate)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for b in range(0, mix.size - block + 1, block):
        ref = mix[b : b + block]
        lo = max(0, b + lag - search)
        window = received[lo : b + lag + search + block]
        if window.size < block or not ref.any():
            continue
        corr = np.correlate(window, ref, "valid")
        energy = np.convolve(window**2, np.ones(block), "valid")
        score = corr / np.sqrt(energy * float(ref @ ref) + 1e-9)
        at = int(np.argmax(score))
        if score[at] < 0.3:  # not there (the call had not started, or had ended)
            continue
        lag = lo + at - b
        parts.append((received[lo + at : lo + at + block], clean[b : b + block], ref))
    if not parts:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))  # type: ignore[return-value]


def _global_lag(received: np.ndarray, mix: np.ndarray, rate: int) -> int:
    """Where `mix` starts in `received`, from the 10 ms energy envelopes (a first guess)."""
    n = rate // 100
    env = lambda x: np.sqrt(np.convolve(x**2, np.ones(n) / n, "same"))[::n]  # noqa: E731
    a, b = env(received), env(mix)
    corr = np.correlate(a - a.mean(), b - b.mean(), "full")
    return (int(np.argmax(corr)) - (b.size - 1)) * n


def speech_frames_audible(received: np.ndarray, clean: np.ndarray, rate: int) -> float:
    """Share of the clean speech's 20 ms frames (within 30 dB of its peak) that the far end
    heard at no less than 20 dB below them, allowing ±100 ms of slip: a lane underrun inserts
    64 ms of silence and shifts what follows, which a frame-by-frame envelope correlation
    (0.56-0.92 over runs) counts as lost speech. The gate's 15 dB on an unvoiced onset
    passes; speech replaced by silence or by typing does not."""
    ref, got = frame_energies(received, clean, rate)
    near = np.array([got[max(0, i - 5) : i + 6].max() for i in range(got.size)])
    speech = ref > ref.max() * 1e-3
    return float(np.mean(near[speech] >= ref[speech] * 1e-2))


def heard_frames(received: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """`received` and `others` keeping only the 20 ms frames (8 kHz) in which the far end
    heard anything: a lost packet or a lane underrun (silence the gateway made up, not
    silence it cleaned) must not count as a quiet pause. Typing alone is never digital zero
    for a whole 20 ms at the level fed here once PCMU-coded."""
    n = 160
    frames = received.size // n
    keep = np.any(received[: frames * n].reshape(frames, n) != 0, axis=1)
    return [x[: frames * n].reshape(frames, n)[keep].ravel() for x in (received, *others)]


def tone_power_share(x: np.ndarray, freq: float) -> float:
    """Median over the 1 s segments that carry sound of the share of their power within 50 Hz
    of `freq`. Per second and in power: over a whole call, the far end's restarts (a phase
    jump at each late packet) spread a magnitude sum over 100,000 bins and hide the tone."""
    shares = []
    for i in range(0, x.size - RATE + 1, RATE):
        seg = x[i : i + RATE]
        if np.sqrt(np.mean(seg**2)) < 100:
            continue
        power = np.abs(np.fft.rfft(seg)) ** 2
        freqs = np.fft.rfftfreq(seg.size, 1 / RATE)
        shares.append(power[np.abs(freqs - freq) < 50].sum() / power.sum())
    return float(np.median(shares)) if shares else 0.0


def _keep(name: str, data: bytes) -> None:
    """Leave `data` in the bench's output directory (the host keeps it with --keep)."""
    out = os.environ.get("DESKGATE_VBENCH_OUT")
    if out:
        Path(out, name).write_bytes(data)


def _asound_snapshot() -> dict[str, str]:
    """The loopback cards' stream states (/proc/asound), to tell which end is open how."""
    out: dict[str, str] = {}
    for card in (0, 1, 2, 3):
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
        # the site's choice for an open-plan floor: the pause gate on (off by default)
        site = site.replace("queue_buffers = 16", "queue_buffers = 16\npause_gate_db = 15")
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
        time.sleep(4.0)  # the tail of the uplink (up to 16 x 64 ms behind)
        received = far.timeline(started)
        measurements["phone_asound"] = _asound_snapshot()
        uplink = gw.service.gateway.audio.stats().uplink
        measurements["phone_bridge_uplink"] = repr(uplink)
        stats = gw.service.gateway.audio.stats()
        measurements["phone_bridge_downlink"] = repr(stats.downlink)
        measurements["phone_bridge_levels_dbfs"] = {
            "mic": stats.mic_dbfs,
            "line": stats.line_dbfs,
            "far": stats.far_dbfs,
        }
        measurements["phone_speaker_captured_s"] = round(len(heard) / 2 / RATE, 2)
        pcm = np.frombuffer(bytes(heard[: len(heard) // 2 * 2]), dtype=np.int16)
        measurements["phone_speaker_rms"] = round(
            float(np.sqrt(np.mean(pcm.astype(float) ** 2))), 1
        )
        _keep("phone-speaker.raw", pcm.tobytes())  # for a listen after a failing run
        _keep("phone-rtp-received.raw", received.astype(np.int16).tobytes())
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
    out, ref, fed_mix = align(received, clean8, mix8, 8000)
    kept, ref, fed_mix = heard_frames(out, ref, fed_mix)
    dropped = 1 - kept.size / max(1, out.size)
    fed = pause_to_speech_db(fed_mix, ref, 8000)
    got = pause_to_speech_db(kept, ref, 8000)
    speaker_pcm = np.frombuffer(bytes(heard[: len(heard) // 2 * 2]), dtype=np.int16)
    tone_share = tone_power_share(speaker_pcm.astype(np.float64), 1000.0)
    measurements["phone_uplink_pause_to_speech_db"] = {"fed": round(fed, 1), "rtp": round(got, 1)}
    corr, level = speech_kept(kept, ref, 8000)
    audible = speech_frames_audible(kept, ref, 8000)
    measurements["phone_uplink_frames_not_heard"] = round(dropped, 3)
    measurements["phone_uplink_matched_s"] = round(out.size / 8000, 2)
    measurements["phone_uplink_speech"] = {
        "envelope_corr": round(corr, 2),
        "level_db": round(level, 1),
        "frames_audible": round(audible, 3),
    }
    measurements["phone_rtp_seconds"] = round(received.size / 8000, 2)
    measurements["phone_downlink_tone_share"] = round(tone_share, 3)
    assert received.size > 4 * 8000, "the far end received less than 4 s of RTP"
    # The bench's precondition, said plainly when it does not hold: the emulated machine kept
    # real time. A host core busy elsewhere for the whole call gave 98 overruns (buffers the
    # lane had no room for: lost audio), and no measure of cleaning means anything then.
    if uplink.overruns >= 20:
        pytest.skip(
            f"the bench did not keep real time: the uplink lost {uplink.overruns} buffers "
            "(overruns), so this call says nothing about cleaning; run the virtual bench on "
            "an otherwise idle machine"
        )
    # a loaded CI run (7 overruns, 40 underruns) still matched 3.5 s, and read correctly
    assert out.size > 3 * 8000, f"only {out.size / 8000:.1f} s of the 6 s fed were found in the RTP"
    assert dropped < 0.2, f"{dropped:.0%} of the call's 20 ms frames reached the far end silent"
    assert np.sqrt(np.mean(kept**2)) > 100, "the far end heard silence"
    # offline, the same chain (WebRTC level 1, mix 0.5, pause gate 15 dB) takes 12-14 dB off
    # the pauses relative to speech on this mix (tests/audio/test_gate.py)
    assert got < fed - 8, f"typing in the pauses not reduced: fed {fed:.1f} dB, RTP {got:.1f} dB"
    assert audible > 0.9, f"only {audible:.0%} of the speech frames reached the far end"
    assert level > -6.0, f"the speech came out {level:.1f} dB below what was fed"
    assert tone_share > 0.5, "the far end's tone did not reach the headset speaker side"
