"""One direction of the audio bridge: capture stream → bounded queue → worker → playback stream.

Real-time discipline (STYLE.md 5): the capture callback only puts the buffer on a bounded
queue (`put_nowait`; a full queue drops the buffer and counts an overrun); the playback
callback only takes ready buffers (`get_nowait`; nothing ready plays silence and counts an
underrun). One worker thread converts, runs the stages and converts back. Neither callback
ever waits for the worker.

The worker also supervises the two streams: a stream that stops by itself (device unplugged,
card gone) is closed, and reopened by name once the device is listed again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from firmware.audio.backend import (
    AudioBackend,
    AudioDeviceError,
    AudioStream,
    DeviceSpec,
    Direction,
    select_device,
)
from firmware.audio.frames import ENGINE_RATE, FRAME_MS
from firmware.audio.resample import DEFAULT_QUALITY, CaptureConverter, PlaybackConverter
from firmware.audio.stages import StageChain

log = logging.getLogger(__name__)

DIRECTIONS: tuple[Direction, ...] = ("input", "output")


@dataclass(frozen=True)
class LaneStats:
    """Counters and latency of one direction, as `Lane.stats()` reports them.

    - buffers: capture buffers the worker took; frames: engine frames processed.
    - overruns: capture buffers dropped because the worker queue was full.
    - underruns: times the playback side found nothing ready and played silence (the lane
      then re-buffers `prefill` buffers before playing on).
    - dropped: processed buffers discarded because the playback side did not take them.
    - stage_errors: frames a failing stage let through unprocessed.
    - restarts: streams reopened after device loss.
    - device_xruns: over/underflows the sound system itself reported to the callbacks
      (PortAudio's status flags; the device ran out of buffer before we were called).
    - latency_ms: buffers in flight plus what converters and stages hold, plus one device
      buffer each side.
    """

    name: str
    running: bool
    buffers: int
    frames: int
    overruns: int
    underruns: int
    dropped: int
    stage_errors: int
    restarts: int
    device_xruns: int
    device_error: str | None
    latency_ms: float


class Lane:
    """Moves audio from `source` to `sink` through `chain`, on its own worker thread.

    `start()` raises `AudioDeviceError` (listing the devices that exist) when a device is
    missing, unless `wait_for_devices` is set: then the lane starts anyway and opens each
    stream once its device appears. `set_chain()` swaps the stages between two frames.
    """

    def __init__(
        self,
        name: str,
        backend: AudioBackend,
        source: DeviceSpec,
        sink: DeviceSpec,
        chain: StageChain,
        *,
        buffer_ms: float = FRAME_MS,
        queue_buffers: int = 8,
        out_buffers: int = 4,
        prefill: int = 1,
        retry_interval: float = 1.0,
        quality: str = DEFAULT_QUALITY,
    ) -> None:
        self.name = name
        self.backend = backend
        self.source = source
        self.sink = sink
        self._chain = chain
        self._next_chain: StageChain | None = None
        self.in_frames = source.format.frames_for_ms(buffer_ms)
        self.out_frames = sink.format.frames_for_ms(buffer_ms)
        self._in_q: queue.Queue[bytes] = queue.Queue(maxsize=queue_buffers)
        self._out_q: queue.Queue[bytes] = queue.Queue(maxsize=out_buffers)
        self._capture = CaptureConverter(source.format, quality)
        self._playback = PlaybackConverter(sink.format, self.out_frames, quality)
        self._silence = bytes(self.out_frames * sink.format.frame_bytes)
        self._rest = b""  # playback bytes left over when the device asks for odd sizes
        self._flowing = False
        self.prefill = max(1, min(prefill, out_buffers))
        self.retry_interval = retry_interval
        self._streams: dict[Direction, AudioStream | None] = {"input": None, "output": None}
        self._retry_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.buffers = self.frames = self.overruns = self.underruns = self.dropped = 0
        self.stage_errors = self.restarts = 0
        self._xruns = 0  # of streams already closed
        self.device_error: str | None = None

    # -- callbacks: sound-system thread, never block -------------------------------------

    def _on_capture(self, data: bytes) -> None:
        try:
            self._in_q.put_nowait(data)
        except queue.Full:
            self.overruns += 1

    def _on_playback(self, n: int) -> bytes:
        need = n * self.sink.format.frame_bytes
        if not self._flowing:
            # Jitter cushion: after start or an underrun, play silence until `prefill`
            # buffers are ready, so one late buffer does not cause a stutter every period.
            if self._out_q.qsize() < self.prefill:
                return self._silence if need == len(self._silence) else bytes(need)
            self._flowing = True
        buf = self._rest
        while len(buf) < need:
            try:
                buf += self._out_q.get_nowait()
            except queue.Empty:
                self.underruns += 1
                self._flowing = False
                buf += bytes(need - len(buf))
                break
        self._rest = buf[need:]
        return buf[:need]

    # -- control ---------------------------------------------------------------------------

    def start(self, wait_for_devices: bool = False) -> None:
        self._chain.start()
        for direction in DIRECTIONS:
            try:
                self._open(direction)
            except AudioDeviceError as exc:
                if not wait_for_devices:
                    self._close_streams()
                    self._chain.stop()
                    raise
                self.device_error = str(exc).splitlines()[0]
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"audio-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_streams()
        self._chain.stop()

    def set_chain(self, chain: StageChain) -> None:
        """Use `chain` from the next frame on (the worker starts it and stops the old one)."""
        if self._thread is None:
            self._chain.stop()
            chain.start()
            self._chain = chain
        else:
            self._next_chain = chain

    @property
    def chain(self) -> StageChain:
        return self._next_chain or self._chain

    @property
    def running(self) -> bool:
        return all(s is not None and s.active for s in self._streams.values())

    def latency_ms(self) -> float:
        src, dst = self.source.format, self.sink.format
        queued = self._in_q.qsize() * self.in_frames / src.rate
        engine = (self._capture.pending + self._chain.delay) / ENGINE_RATE
        out = (self._playback.pending + self._out_q.qsize() * self.out_frames) / dst.rate
        devices = self.in_frames / src.rate + self.out_frames / dst.rate
        return 1000.0 * (queued + engine + out + devices)

    def stats(self) -> LaneStats:
        return LaneStats(
            name=self.name,
            running=self.running,
            buffers=self.buffers,
            frames=self.frames,
            overruns=self.overruns,
            underruns=self.underruns,
            dropped=self.dropped,
            stage_errors=self.stage_errors,
            restarts=self.restarts,
            device_xruns=self._xruns
            + sum(getattr(st, "xruns", 0) for st in self._streams.values() if st is not None),
            device_error=self.device_error,
            latency_ms=round(self.latency_ms(), 2),
        )

    # -- worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        next_check = 0.0
        while not self._stop.is_set():
            self._swap_chain()
            try:
                data = self._in_q.get(timeout=0.05)
            except queue.Empty:
                data = None
            if data is not None:
                self._swap_chain()  # a call may have started while we waited
                self._work(data)
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 0.1
                self._supervise(now)

    def _swap_chain(self) -> None:
        if self._next_chain is not None:
            old, self._chain, self._next_chain = self._chain, self._next_chain, None
            old.stop()
            self._chain.start()

    def _work(self, data: bytes) -> None:
        self.buffers += 1
        chain = self._chain
        for frame in self._capture.push(data):
            try:
                frame = chain.process(frame)
            except Exception:
                if not self.stage_errors:
                    log.exception("audio %s: a stage failed; passing audio through", self.name)
                self.stage_errors += 1
            self.frames += 1
            for chunk in self._playback.push(frame):
                try:
                    self._out_q.put_nowait(chunk)
                except queue.Full:
                    self.dropped += 1

    # -- device loss and return ------------------------------------------------------------

    def _supervise(self, now: float) -> None:
        for direction in DIRECTIONS:
            stream = self._streams[direction]
            if stream is not None and not stream.active:
                reason = stream.error or "stream stopped"
                spec = self.source if direction == "input" else self.sink
                self.device_error = f"{spec.name}: {reason}"
                log.warning("audio %s: %s; will reopen when it returns", self.name, reason)
                self._xruns += getattr(stream, "xruns", 0)
                stream.close()
                self._streams[direction] = None
                self._retry_at = now
        if all(self._streams.values()) or now < self._retry_at:
            return
        self._retry_at = now + self.retry_interval
        for direction in DIRECTIONS:
            if self._streams[direction] is None:
                try:
                    self._open(direction)
                except AudioDeviceError:
                    continue
                self.restarts += 1
                log.info("audio %s: %s stream reopened", self.name, direction)
        if all(self._streams.values()):
            self.device_error = None

    def _open(self, direction: Direction) -> None:
        spec = self.source if direction == "input" else self.sink
        devices = self.backend.devices()
        device = select_device(
            devices, spec.name, direction, self.backend.default_device(direction)
        )
        if direction == "input":
            self._capture.reset()
            stream = self.backend.open_input(device, spec.format, self.in_frames, self._on_capture)
        else:
            self._playback.reset()
            self._rest = b""
            self._flowing = False
            stream = self.backend.open_output(
                device, spec.format, self.out_frames, self._on_playback
            )
        stream.start()
        self._streams[direction] = stream

    def _close_streams(self) -> None:
        for direction, stream in list(self._streams.items()):
            if stream is not None:
                stream.close()
            self._streams[direction] = None
