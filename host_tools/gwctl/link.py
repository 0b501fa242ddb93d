"""The host end of the management console: open a port, say hello, send requests, read
replies and `watch` events.

`--port` takes a device path (`/dev/ttyACM0`), any pyserial URL (`socket://gw:7000`,
`loop://`, `spy:///dev/ttyACM0`), or `unix:PATH` (also a bare path to a UNIX socket) for the
gateway's local socket. Every frame is sent after a newline, so whatever partial line an
earlier, interrupted gwctl left on the serial line is flushed as one bad frame and our request
arrives whole.
"""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Iterator
from typing import Any, Protocol

from firmware.console import protocol as p


class LinkError(Exception):
    """A failure talking to the gateway; the message says where the fault probably is."""


class RemoteError(LinkError):
    """The gateway answered with an error (`code`, message as sent)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Transport(Protocol):
    """A byte pipe: `read` returns b"" after `timeout` seconds without data."""

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class SerialTransport:
    """A pyserial port (device path or URL). Raises LinkError when it cannot be opened."""

    def __init__(self, port: str, baudrate: int = 115200) -> None:
        import serial

        try:
            self._ser = serial.serial_for_url(port, baudrate=baudrate, timeout=0.1)
        except serial.SerialException as exc:
            text = str(exc)
            if "busy" in text.lower() or "lock" in text.lower():
                raise LinkError(
                    f"{port}: the serial port is busy — is another program (minicom, another "
                    "gwctl watch) using it?"
                ) from None
            if "No such file" in text or "could not open" in text:
                raise LinkError(
                    f"{port}: cannot open the port ({text}); `gwctl ports` lists candidates"
                ) from None
            raise LinkError(f"{port}: {text}") from None
        self._serial_error = serial.SerialException
        self._ser.reset_input_buffer()  # stale replies of an earlier, interrupted gwctl

    def write(self, data: bytes) -> None:
        try:
            self._ser.write(data)
            self._ser.flush()
        except (OSError, self._serial_error) as exc:
            raise LinkError(f"writing to the port failed: {exc}") from None

    def read(self, timeout: float) -> bytes:
        self._ser.timeout = max(timeout, 0.001)
        try:
            waiting = self._ser.in_waiting
            return bytes(self._ser.read(max(1, waiting)))
        except (OSError, self._serial_error) as exc:
            raise LinkError(f"reading from the port failed (unplugged?): {exc}") from None

    def close(self) -> None:
        self._ser.close()


class UnixTransport:
    """The gateway's local UNIX socket. Raises LinkError when nobody listens there."""

    def __init__(self, path: str) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(path)
        except OSError as exc:
            self._sock.close()
            raise LinkError(
                f"{path}: cannot connect ({exc.strerror}) — is deskgate running?"
            ) from None

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise LinkError(f"the gateway closed the connection: {exc}") from None

    def read(self, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 0.001))
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise LinkError(f"the gateway closed the connection: {exc}") from None
        if not data:
            raise LinkError("the gateway closed the connection")
        return data

    def close(self) -> None:
        self._sock.close()


def open_transport(port: str, baudrate: int = 115200) -> Transport:
    if port.startswith("unix:"):
        return UnixTransport(port.removeprefix("unix:"))
    try:
        if stat.S_ISSOCK(os.stat(port).st_mode):
            return UnixTransport(port)
    except OSError:
        pass
    return SerialTransport(port, baudrate)


class Link:
    """A console session from the host. `hello()` negotiates the version; `call()` returns a
    result or raises RemoteError/LinkError; `events()` yields a watch's events."""

    def __init__(self, transport: Transport, port: str, token: str | None, timeout: float) -> None:
        self.transport, self.port = transport, port
        self.token, self.timeout = token, timeout
        self._decoder = p.FrameDecoder()
        self._next_id = (os.getpid() * 1000) % 1_000_000_000
        self._pending: list[p.Message] = []
        self.version: int | None = None
        self.last_id = 0
        self.gateway: dict[str, Any] = {}

    def close(self) -> None:
        self.transport.close()

    def send(self, op: str, args: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        request = p.Request(self._next_id, op, args or {}, self.token if p.OPS.get(op) else None)
        self.transport.write(b"\n" + p.encode(request))
        self.last_id = request.id
        return request.id

    def _messages(self, deadline: float | None) -> Iterator[p.Message | p.ProtocolError]:
        while True:
            while self._pending:
                yield self._pending.pop(0)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return
            data = self.transport.read(0.2 if left is None else min(left, 0.2))
            if data:
                self._pending.extend(
                    m for m in self._decoder.feed(data) if not isinstance(m, p.ProtocolError)
                )

    def _await_reply(self, rid: int) -> p.Reply:
        deadline = time.monotonic() + self.timeout
        for message in self._messages(deadline):
            if isinstance(message, p.Reply) and message.id == rid:
                return message
            if isinstance(message, p.Reply) and message.id is None and not message.ok:
                code, text = message.error or ("", "")
                raise LinkError(f"the gateway could not read our request ({code}: {text})")
        raise LinkError(
            f"no answer from the gateway on {self.port} within {self.timeout:g} s — is "
            "deskgate running, and is this its console port?"
        )

    def call(self, op: str, args: dict[str, Any] | None = None, retries: int = 1) -> Any:
        for attempt in range(retries + 1):
            rid = self.send(op, args)
            try:
                reply = self._await_reply(rid)
            except LinkError as exc:
                if attempt < retries and "could not read our request" in str(exc):
                    continue  # line noise hit our frame: send it again once
                raise
            if not reply.ok:
                code, message = reply.error or (p.ERR_INTERNAL, "")
                raise RemoteError(code, message)
            return reply.result
        raise AssertionError("unreachable")

    def hello(self) -> dict[str, Any]:
        result = self.call("hello", {"versions": list(p.SUPPORTED_VERSIONS)})
        self.version = int(result["version"])
        self.gateway = result
        return dict(result)

    def events(self, watch_id: int, limit: float | None = None) -> Iterator[dict[str, Any]]:
        """Events of the watch `watch_id` until `limit` seconds pass (None: forever)."""
        deadline = None if limit is None else time.monotonic() + limit
        for message in self._messages(deadline):
            if isinstance(message, p.Event) and message.id == watch_id:
                yield message.event


def connect(port: str, token: str | None, timeout: float = 5.0) -> Link:
    """Open `port` and say hello. Raises LinkError."""
    link = Link(open_transport(port), port, token, timeout)
    try:
        link.hello()
    except BaseException:
        link.close()
        raise
    return link
