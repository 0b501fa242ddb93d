"""The gateway service: build everything from board data and configuration, serve until
SIGTERM, reload on SIGHUP.

Start order: state directory → configuration (file + overrides, or the last good one) →
journal and recovery (in-flight offers cancelled, durably, before anything is served) →
devices → console → `READY=1`. Stop order on SIGTERM/SIGINT: `STOPPING=1`, console closed,
devices released, journal closed (every acknowledged step is already on disk).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.audio.bridge import AudioBridge
from firmware.buttons.source import ButtonGone
from firmware.buttons.state_button import build_button
from firmware.config import ConfigError, GatewayConfig
from firmware.console.server import SerialConsole, SocketConsole
from firmware.console.tokens import TOKEN_FILE, TokenCheck, generate
from firmware.hid.fake import FakeHeadset
from firmware.indicators.board import BoardError, BuildContext, build_indicators, load_board
from firmware.indicators.patterns import Pattern
from firmware.journal.store import Journal, JournalError
from firmware.phone.plug import LineBackend, PhonePlug, build_phone_line
from firmware.service.acdport import CoreClock, JournaledAcd
from firmware.service.boarddata import BoardDataError, ServiceBoard, build_hid, load_service_board
from firmware.service.gateway import Gateway, desk_agent_of
from firmware.service.logs import LogRing
from firmware.service.operations import GatewayOperations
from firmware.service.settings import ConfigStore, resolve_state_dir
from firmware.service.systemd import Notifier

log = logging.getLogger("deskgate.service")

JOURNAL_FILE = "journal.sqlite"


class ServiceError(Exception):
    """The service cannot start; the message says what to fix."""


@dataclass
class Options:
    """`deskgate run` options."""

    board: str = "sim"
    config: Path | None = None
    console: str | None = None
    state_dir: str | None = None
    audio: bool = True
    speed: float = 1.0


class Service:
    """One running gateway. `setup()` raises `ServiceError`; `run()` serves until stopped and
    returns an exit status (JournalError while running stops it with status 1)."""

    def __init__(self, options: Options, logs: LogRing, notifier: Notifier | None = None) -> None:
        self.options = options
        self.logs = logs
        self.notifier = notifier or Notifier()
        self.stop_event: asyncio.Event | None = None
        self.started = time.monotonic()
        self.fake_headsets: list[FakeHeadset] = []
        self.token: str | None = None
        self.console_port: str | None = None
        self.serial: SerialConsole | None = None
        self.socket: SocketConsole | None = None
        self.nullmodem: Any = None
        self.fatal: str | None = None
        self.sim_desk: Any = None  # the simulated desk, when the board is simulated
        self._config_warning: str | None = None

    # -- build -------------------------------------------------------------------------------
    def setup(self) -> None:
        try:
            self.board: ServiceBoard = load_service_board(self.options.board)
            self.indicator_board = load_board(self.options.board)
            self.state_dir = resolve_state_dir(self.options.state_dir)
        except (BoardDataError, BoardError, OSError) as exc:
            raise ServiceError(str(exc)) from None
        path = self.options.config or self.board.default_config_path()
        self.store = ConfigStore(path, self.state_dir)
        try:
            self.config, self._config_warning = self.store.load_or_last_good()
        except ConfigError as exc:
            raise ServiceError(str(exc)) from None
        if self._config_warning:
            log.error("configuration not used, running the last good one: %s", self._config_warning)
        try:
            self.journal = Journal(self.state_dir / JOURNAL_FILE)
            self.clock = CoreClock(speed=self.options.speed)
            self.acd = JournaledAcd(self.config.acd.to_params(), self.journal, self.clock)
        except JournalError as exc:
            raise ServiceError(f"{exc} (move the journal aside to start afresh)") from None
        log.info(
            "journal %s: %d records, recovered at t=%.3f (%d restart records)",
            self.journal.path,
            self.acd.seq,
            self.acd.state.now,
            len(self.acd.recovered),
        )
        try:
            hid, self.fake_headsets = build_hid(self.board)
            ctx = BuildContext(busylight=self.config.indicators.busylight, clock=time.monotonic)
            indicators = build_indicators(self.indicator_board, ctx)
        except (BoardDataError, BoardError) as exc:
            raise ServiceError(str(exc)) from None
        desk = desk_agent_of(self.config)
        button = None
        if desk is not None:
            try:
                button = build_button(self.indicator_board.button, self.config.indicators, desk)
            except (ValueError, ButtonGone) as exc:
                log.warning("state button not used: %s", exc)
        self.gateway = Gateway(
            self.config, self.acd, hid, indicators, button, self._build_audio() if desk else None
        )
        # None without [phone] (the simulated board then gives it a FakePhoneLine)
        self.phone: LineBackend | None = build_phone_line(self.config, self.state_dir)
        self._setup_token()

    def _build_audio(self) -> AudioBridge | None:
        if not self.options.audio:
            return None
        cfg = self.config.audio
        try:
            if cfg.backend == "fake":
                from firmware.sim.audio import simulated_backend

                backend: Any = simulated_backend(self.board.sim_audio_paths())
            else:
                from firmware.audio.pyaudio_backend import PyAudioBackend

                backend = PyAudioBackend()
            return AudioBridge.from_config(cfg, backend, on_fault=log.warning)
        except (ImportError, OSError, ValueError) as exc:  # no PortAudio, a bad device spec
            log.error("audio bridge not started: %s; calls go on without it", exc)
            return None

    def _setup_token(self) -> None:
        cfg = self.config.console
        path = Path(cfg.token_file) if cfg.token_file else self.state_dir / TOKEN_FILE
        if self.board.generate_token:
            self.token = generate(path)
        try:
            self.tokens = TokenCheck.from_file(path)
        except OSError as exc:
            log.error("technician token %s unreadable (%s): changes refused", path, exc)
            self.tokens = TokenCheck(None)

    # -- run ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self.stop_event = asyncio.Event()
        try:
            self.acd.start_writer()
        except JournalError as exc:
            raise ServiceError(str(exc)) from None
        self.gateway.start()
        self.operations = GatewayOperations(self, self.logs)
        port = self.options.console if self.options.console is not None else None
        if port is None:
            port = self.config.console.port or self.board.console
        if port == "nullmodem":
            from firmware.sim.nullmodem import NullModem

            self.nullmodem = NullModem()
            port = self.nullmodem.gateway_end
            self.console_port = self.nullmodem.host_end
        elif port:
            self.console_port = port
        if port:
            self.serial = SerialConsole(
                port, self.operations, self.tokens, baudrate=self.config.console.baudrate
            )
            self.serial.start()
        if self.config.console.socket:
            sock = Path(self.config.console.socket)
            self.socket = SocketConsole(self.state_dir / sock, self.operations, self.tokens)
            try:
                await self.socket.start()
            except OSError as exc:
                log.warning("console socket %s not served: %s", sock, exc)
                self.socket = None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)

    def stop(self) -> None:
        if self.stop_event is not None:
            self.stop_event.set()

    async def run(self, extra: list[Callable[[], Any]] | None = None) -> int:
        """Serve until `stop()`; `extra` are coroutine factories run alongside (simulation)."""
        await self.start()
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(self.gateway.run(), name="gateway"),
            asyncio.create_task(self.notifier.keep_alive(), name="watchdog"),
        ]
        if self.phone is not None:  # the SIP line: its events in, the ACD's records out
            tasks.append(
                asyncio.create_task(PhonePlug(self.phone, self.gateway).serve(), name="phone")
            )
        tasks += [asyncio.create_task(f(), name="extra") for f in extra or []]
        self.notifier.ready(f"serving {len(self.acd.state.agents)} agents")
        assert self.stop_event is not None
        stopper: asyncio.Task[Any] = asyncio.create_task(self.stop_event.wait())
        status = 0
        while not stopper.done():
            done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is stopper or task.cancelled():
                    continue
                tasks.remove(task)
                exc = task.exception()
                if exc is not None:
                    self.fatal = f"{task.get_name()}: {exc}"
                    log.error("stopping: %s", self.fatal, exc_info=exc)
                    status = 1
                    self.stop()
            if not tasks and not stopper.done():
                break
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stopper.cancel()
        await self.shutdown()
        return status

    async def shutdown(self) -> None:
        self.notifier.stopping()
        if self.serial is not None:
            self.serial.stop()
        if self.socket is not None:
            await self.socket.stop()
        if self.nullmodem is not None:
            self.nullmodem.close()
        self.gateway.stop()
        self.acd.stop_writer()  # commits what is queued
        self.journal.close()
        self.notifier.close()
        log.info("stopped; journal closed at record %d", self.acd.seq)

    # -- configuration -----------------------------------------------------------------------
    def reload(self) -> None:
        """SIGHUP: read the configuration again; a bad one leaves the running one."""
        self.notifier.reloading()
        try:
            new = self.store.read()
            note = self._apply(new)  # raises before anything changed
            self.store.keep(new)
            log.info("configuration reloaded: %s", note)
        except (ConfigError, JournalError) as exc:
            log.error("reload refused, still running the previous configuration: %s", exc)
        self.notifier.ready("configuration reloaded")

    def set_config(self, key: str, value: Any) -> str:
        """`gwctl config set`: raises ConfigError/JournalError (nothing changed) if refused."""
        note = self._apply(self.store.read((key, value)))  # raises before anything changed
        self.store.set(key, value)  # the same validation again: persists the override
        return note

    def _apply(self, new: GatewayConfig) -> str:
        changed = [
            name
            for name in GatewayConfig.model_fields
            if getattr(new, name) != getattr(self.config, name)
        ]
        if "acd" in changed:
            self.acd.reconfigure(new.acd.to_params())  # JournalError: nothing changed
            self.gateway.wake.set()
        if "audio" in changed and self.gateway.audio is not None:
            from firmware.audio.policy import Role

            p = new.audio.policy()
            self.gateway.audio.policy.change(
                Role.ADMIN,
                suppression=p.suppression,
                level=p.level,
                agc_dbfs=p.agc_dbfs,
                mix=p.mix,
                gate_db=p.gate_db,
            )
        self.config = new
        self.gateway.config = new
        live = [c for c in changed if c in ("acd", "audio")]
        later = [c for c in changed if c not in live]
        parts = [f"applied: {', '.join(live) or 'nothing'}"]
        if later:
            parts.append(f"at next start: {', '.join(later)}")
        return "; ".join(parts)

    def config_note(self) -> dict[str, Any]:
        return {"source": self.store.source, "fallback_reason": self._config_warning}

    # -- misc --------------------------------------------------------------------------------
    def uptime(self) -> float:
        return time.monotonic() - self.started

    def leds_test(self, steps: list[Pattern]) -> list[Pattern]:
        """Light every indicator in `steps` in turn (0.5 s each), then the real pattern."""
        loop = asyncio.get_running_loop()
        gw = self.gateway
        for i, pattern in enumerate(steps):
            loop.call_later(0.5 * i, gw.driver.show, pattern, time.monotonic())
        loop.call_later(0.5 * len(steps), gw.refresh_indicators)
        return steps
