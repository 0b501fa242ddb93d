"""The asyncio bridge between headsets and the ACD: the piece the gateway service reuses.

Headset requests become ACD events (hook → ``hook``, reject → ``refuse``, plug/unplug →
``device``); the ACD's records become call commands for the agent's headset (OFFER_STARTED →
ring, CALL_CONNECTED → answer, OFFER_ENDED without an answer → idle, CALL_ENDED → hangup).

Each open headset has one reader thread doing blocking hidapi reads (the ``hidraw`` module has
no file descriptor to hand to the event loop); it passes reports to the loop with
``call_soon_threadsafe``. Everything else runs on the loop: sessions, the ACD port and the
writes. A headset that cannot be parsed is logged and skipped; a read error is an unplug.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from firmware.hid.backend import DeviceGone, DeviceInfo, HidBackend, HidDevice
from firmware.hid.descriptor import DescriptorError
from firmware.hid.handshake import (
    CallCommandName,
    Effect,
    FlashPressed,
    HookRequest,
    MuteChanged,
    RejectPressed,
)
from firmware.hid.report import ReportError
from firmware.hid.seats import SeatMap
from firmware.hid.session import HeadsetSession, NotAHeadset

log = logging.getLogger(__name__)

READ_TIMEOUT_MS = 200


class AcdPort(Protocol):
    """Where headset events go. `submit` takes a DESIGN.md 2.5 event object and returns the
    records it caused (objects with ``.type`` and ``.get(name)``)."""

    def submit(self, event: dict[str, Any], now: float) -> list[Any]: ...


class CoreAcd:
    """`AcdPort` over the pure ACD core (`firmware.acd.core`). Raises nothing for a bad event:
    the core's `EventError` is logged and the event dropped."""

    def __init__(self, params: Any) -> None:
        from firmware.acd import core, events

        self._core, self._events = core, events
        self.state = core.initial_state(params)

    def submit(self, event: dict[str, Any], now: float) -> list[Any]:
        try:
            parsed = self._events.parse_event(event)
        except self._events.EventError as exc:
            # name the event only: a malformed cad_set may carry a secure value
            log.warning("ACD rejected a %r event: %s", event.get("event"), exc)
            return []
        self.state, records = self._core.step(self.state, parsed, now)
        return list(records)


def call_command_for(record: Any) -> tuple[str, CallCommandName] | None:
    """The headset command an ACD record asks for: (agent, command) or None."""
    rtype, agent = record.type, record.get("agent")
    if rtype == "TRANSFER_COMPLETED":
        return record.get("from"), "hangup"  # the transferring agent's part of the call ends
    if rtype == "TRANSFER_STARTED":
        return agent, "hangup"  # blind: the call rings elsewhere, this headset is done
    if agent is None:
        return None
    if rtype == "OFFER_STARTED":
        return agent, "ring"
    if rtype == "CALL_CONNECTED":
        return agent, "answer"
    if rtype == "OFFER_ENDED" and record.get("outcome") != "ANSWERED":
        return agent, "idle"
    if rtype == "CALL_ENDED":
        return agent, "hangup"
    return None


@dataclass
class Seat:
    """One agent's headset: its session (kept across unplugs, so LEDs can be replayed)."""

    agent: str
    session: HeadsetSession
    info: DeviceInfo
    connected: bool = True
    stop_reader: threading.Event = field(default_factory=threading.Event)


class HeadsetBridge:
    """Connects a `HidBackend` to an `AcdPort` through the seat map. Call `start()` on the
    loop, `stop()` to end; `submit()` feeds other ACD events (calls arriving) through the same
    path so their records reach the headsets."""

    def __init__(
        self,
        backend: HidBackend,
        seats: SeatMap,
        acd: AcdPort,
        echo_window: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        on_effect: Callable[[str, Effect], None] | None = None,
    ) -> None:
        self.backend, self.seat_map, self.acd = backend, seats, acd
        self.echo_window, self.clock = echo_window, clock
        self.on_effect = on_effect
        self.seats: dict[str, Seat] = {}  # by agent
        self.skipped: dict[str, str] = {}  # path -> why it was not used
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_watch: Callable[[], None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_watch = self.backend.watch(self._hotplug)
        for info in self.backend.enumerate():
            self.attach(info)
        # A seat whose headset is not plugged in at start is unreachable until it is.
        for agent in sorted(set(self.seat_map.seats.values()) - set(self.seats)):
            self.submit({"event": "device", "agent": agent, "connected": False})

    def stop(self) -> None:
        if self._stop_watch is not None:
            self._stop_watch()
        for seat in self.seats.values():
            seat.stop_reader.set()
            seat.session.device.close()

    def _hotplug(self, action: str, info: DeviceInfo) -> None:  # any thread
        assert self._loop is not None
        if action == "add":
            self._loop.call_soon_threadsafe(self.attach, info)
        else:
            self._loop.call_soon_threadsafe(self.detach_path, info.path)

    # -- plug / unplug ----------------------------------------------------------------------------
    def attach(self, info: DeviceInfo) -> None:
        agent = self.seat_map.agent_for(info)
        if agent is None:
            self.skipped[info.path] = "no seat configured for this headset"
            log.info("%s (%s): no seat configured; ignored", info.path, info.vid_pid)
            return
        seat = self.seats.get(agent)
        if seat is not None and seat.connected:
            if seat.info.path != info.path:
                self.skipped[info.path] = f"agent {agent} already has {seat.info.path}"
                log.warning(
                    "%s: agent %s already has %s; ignored", info.path, agent, seat.info.path
                )
            return
        try:
            device = self.backend.open(info)
        except DeviceGone as exc:
            log.warning("%s: gone while opening: %s", info.path, exc)
            return
        try:
            if seat is not None:
                effects = seat.session.reattach(device)
                seat.info, seat.connected = info, True
                seat.stop_reader = threading.Event()
            else:
                session, effects = HeadsetSession.open(device, self.echo_window)
                seat = self.seats[agent] = Seat(agent, session, info)
        except (DescriptorError, NotAHeadset, DeviceGone) as exc:
            device.close()
            self.skipped[info.path] = str(exc)
            log.warning("%s (%s): cannot use this headset: %s", info.path, info.vid_pid, exc)
            return
        self.skipped.pop(info.path, None)
        self._report(agent, effects)
        self._start_reader(seat)
        self.submit({"event": "device", "agent": agent, "connected": True})

    def detach_path(self, path: str) -> None:
        for seat in self.seats.values():
            if seat.info.path == path and seat.connected:
                self._detach(seat)

    def _detach(self, seat: Seat) -> None:
        seat.connected = False
        seat.stop_reader.set()
        seat.session.detach()
        seat.session.device.close()
        self.submit({"event": "device", "agent": seat.agent, "connected": False})

    def _start_reader(self, seat: Seat) -> None:
        loop, stop, device = self._loop, seat.stop_reader, seat.session.device
        assert loop is not None
        size = seat.session.read_size

        def post(callback: Callable[..., None], *args: Any) -> None:
            if stop.is_set():
                return
            try:
                loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:  # the loop closed while this read was in flight (shutdown)
                stop.set()

        def reader() -> None:
            while not stop.is_set():
                try:
                    data = device.read(size, READ_TIMEOUT_MS)
                except DeviceGone:
                    post(self._read_failed, seat, device)
                    return
                if data:
                    post(self._input, seat, device, data)

        threading.Thread(target=reader, name=f"hid-read {seat.info.path}", daemon=True).start()

    def _read_failed(self, seat: Seat, device: HidDevice) -> None:
        if seat.connected and seat.session.device is device:
            log.info("%s: read error, taking it as unplugged", seat.info.path)
            self._detach(seat)

    # -- data path --------------------------------------------------------------------------------
    def _input(self, seat: Seat, device: HidDevice, data: bytes) -> None:
        if not seat.connected or seat.session.device is not device:
            return
        try:
            effects = seat.session.feed(data, self.clock())
        except ReportError as exc:
            log.warning("%s: skipped a report: %s", seat.info.path, exc)
            return
        except DeviceGone:
            self._detach(seat)
            return
        self._report(seat.agent, effects)
        for effect in effects:
            if isinstance(effect, HookRequest):
                event = {"event": "hook", "agent": seat.agent, "off_hook": effect.off_hook}
                self.submit(event)
            elif isinstance(effect, RejectPressed):
                self.submit({"event": "refuse", "agent": seat.agent})
            elif isinstance(effect, FlashPressed):  # hold / resume / swap (docs/acd-calls.md)
                self.submit({"event": "flash", "agent": seat.agent})
            elif isinstance(effect, MuteChanged):
                log.info("%s: mute %s", seat.agent, "on" if effect.muted else "off")

    def submit(self, event: dict[str, Any]) -> list[Any]:
        """Send one event to the ACD and carry out what its records ask of the headsets."""
        records = self.acd.submit(event, self.clock())
        self.apply(records)
        return records

    def apply(self, records: list[Any]) -> None:
        for record in records:
            command = call_command_for(record)
            if command is None:
                continue
            agent, call = command
            seat = self.seats.get(agent)
            if seat is None:
                continue
            try:
                effects = seat.session.command(call, self.clock())
            except DeviceGone:
                self._detach(seat)
                continue
            self._report(agent, effects)

    def _report(self, agent: str, effects: list[Effect]) -> None:
        if self.on_effect is not None:
            for effect in effects:
                self.on_effect(agent, effect)
