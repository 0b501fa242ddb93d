"""Serving the console: the gateway's serial port (pyserial) and a local UNIX socket.

The serial port (USB gadget ACM `/dev/ttyGS0`, a UART, or a pseudo-terminal in tests) is one
long-lived session. It is opened with pyserial (raw mode, baud rate) and then read and written
without blocking from the event loop; output that the other side does not read is buffered up
to `MAX_BACKLOG` bytes and then dropped (a technician who unplugged must not stall the
gateway). A port that fails (EIO when the host side goes away, a missing device at start) is
closed and opened again every `retry_every` seconds.

The UNIX socket gives one session per connection (`gwctl --port unix:/run/deskgate/console`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from pathlib import Path
from typing import Any

from firmware.console.session import ConsoleSession, Operations
from firmware.console.tokens import TokenCheck

log = logging.getLogger("deskgate.console")

MAX_BACKLOG = 256 * 1024
READ_CHUNK = 4096


class SerialConsole:
    """The console on a serial device. `start()` never raises: a port that cannot be opened is
    logged and retried. `stop()` closes it."""

    def __init__(
        self,
        port: str,
        ops: Operations,
        tokens: TokenCheck,
        baudrate: int = 115200,
        retry_every: float = 2.0,
    ) -> None:
        self.port, self.ops, self.tokens = port, ops, tokens
        self.baudrate, self.retry_every = baudrate, retry_every
        self.session: ConsoleSession | None = None
        self.error: str | None = None
        self._serial: Any = None
        self._fd = -1
        self._out = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry: asyncio.TimerHandle | None = None
        self._stopped = False
        self.dropped = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._open()

    def _open(self) -> None:
        import serial  # pyserial: only the impure side of the console needs it

        self._retry = None
        if self._stopped:
            return
        try:
            # timeout=0: pyserial opens the fd O_NONBLOCK and leaves it so
            ser = serial.Serial(self.port, self.baudrate, timeout=0, exclusive=True)
        except (OSError, serial.SerialException, ValueError) as exc:
            if self.error != str(exc):
                log.warning("console %s: cannot open (%s); retrying", self.port, exc)
            self.error = str(exc)
            self._schedule_retry()
            return
        assert self._loop is not None
        self._serial, self._fd, self.error = ser, ser.fileno(), None
        self.session = ConsoleSession(self.port, self._write, self.ops, self.tokens)
        self._loop.add_reader(self._fd, self._readable)
        log.info("console on %s (%d baud)", self.port, self.baudrate)

    def _schedule_retry(self) -> None:
        if self._loop is not None and not self._stopped and self._retry is None:
            self._retry = self._loop.call_later(self.retry_every, self._open)

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(f"read failed: {exc}")
            return
        if not data:
            self._fail("end of file")
            return
        if self.session is not None:
            self.session.feed(data)

    def _write(self, frame: bytes) -> None:
        if self._fd < 0:
            return
        if len(self._out) + len(frame) > MAX_BACKLOG:
            self.dropped += 1  # nobody reads the port: drop rather than grow or block
            return
        was_empty = not self._out
        self._out += frame
        if was_empty:
            self._flush()

    def _flush(self) -> None:
        assert self._loop is not None
        while self._out and self._fd >= 0:
            try:
                n = os.write(self._fd, self._out)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                self._fail(f"write failed: {exc}")
                return
            del self._out[:n]
        if self._fd < 0:
            return
        if self._out:
            self._loop.add_writer(self._fd, self._flush)
        else:
            self._loop.remove_writer(self._fd)

    def _fail(self, why: str) -> None:
        log.warning("console %s: %s; reopening", self.port, why)
        self.error = why
        self._close()
        self._schedule_retry()

    def _close(self) -> None:
        if self._fd >= 0 and self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        if self._serial is not None:
            with contextlib.suppress(Exception):
                self._serial.close()
        self._serial, self._fd = None, -1
        self._out.clear()
        if self.session is not None:
            self.session.close()

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
        self._close()


class SocketConsole:
    """The console on a UNIX stream socket: one session per connection. `start()` raises
    OSError when the socket cannot be created."""

    def __init__(self, path: Path, ops: Operations, tokens: TokenCheck) -> None:
        self.path, self.ops, self.tokens = path, ops, tokens
        self._server: asyncio.AbstractServer | None = None
        self.sessions: set[ConsoleSession] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a stale socket left by a killed service
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        os.chmod(self.path, 0o660)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def write(frame: bytes) -> None:
            if writer.is_closing():
                return
            if writer.transport.get_write_buffer_size() > MAX_BACKLOG:
                writer.close()  # a client that stopped reading
                return
            writer.write(frame)

        session = ConsoleSession(f"unix:{self.path}", write, self.ops, self.tokens)
        self.sessions.add(session)
        self._writers.add(writer)
        try:
            while data := await reader.read(READ_CHUNK):
                session.feed(data)
        except (ConnectionError, OSError):
            pass
        finally:
            session.close()
            self.sessions.discard(session)
            self._writers.discard(writer)
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for session in list(self.sessions):
                session.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
