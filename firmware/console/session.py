"""One console connection: bytes in → requests checked and dispatched → replies out.

Transport-free: a session is given a `write(bytes)` function and fed what arrives. It never
raises on input: unusable frames are answered with an error (id null when the id could not be
read), replies and events sent *to* the gateway are ignored (so a looped-back line cannot
ping-pong), and an exception inside an operation becomes an `ERR_INTERNAL` reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from firmware.console import protocol as p
from firmware.console.tokens import TokenCheck

log = logging.getLogger("deskgate.console")


class OpError(Exception):
    """An operation refused or failed: `code` is the protocol error code, the message is
    shown to the technician as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Operations(Protocol):
    """What the service offers the console: `call(request, session)` returns the result of
    one operation or raises `OpError`; `forget(session)` drops its watches when it ends."""

    def call(self, request: p.Request, session: ConsoleSession) -> Any: ...

    def forget(self, session: ConsoleSession) -> None: ...


class ConsoleSession:
    """A connection's protocol state. `write` must not block (transports buffer); `closed`
    sessions drop output silently."""

    def __init__(
        self, name: str, write: Callable[[bytes], None], ops: Operations, tokens: TokenCheck
    ) -> None:
        self.name = name
        self._write = write
        self._ops = ops
        self._tokens = tokens
        self._decoder = p.FrameDecoder()
        self.closed = False
        self.counters = {"requests": 0, "errors": 0, "ignored": 0}

    def feed(self, data: bytes) -> None:
        for item in self._decoder.feed(data):
            if isinstance(item, p.ProtocolError):
                self.counters["errors"] += 1
                self.send(p.Reply.failure(item.request_id, item.code, str(item)))
            elif isinstance(item, p.Request):
                self.counters["requests"] += 1
                self.send(self._handle(item))
            else:
                self.counters["ignored"] += 1  # a reply or event coming back: never answer

    def _handle(self, request: p.Request) -> p.Reply:
        if request.op not in p.OPS:
            return p.Reply.failure(
                request.id,
                p.ERR_UNKNOWN_OP,
                f"unknown operation {request.op!r} (known: {', '.join(sorted(p.OPS))})",
            )
        if request.mutating:
            refusal = self._tokens.refusal(request.token)
            if refusal is not None:
                return p.Reply.failure(request.id, *refusal)
        try:
            if request.op == "hello":
                version = p.negotiate(request.args.get("versions"))
                result = {"version": version, **self._ops.call(request, self)}
            else:
                result = self._ops.call(request, self)
        except p.ProtocolError as exc:
            return p.Reply.failure(request.id, exc.code, str(exc))
        except OpError as exc:
            return p.Reply.failure(request.id, exc.code, str(exc))
        except Exception as exc:  # an operation's bug must not end the session
            log.exception("console %s: %s failed", self.name, request.op)
            return p.Reply.failure(request.id, p.ERR_INTERNAL, f"{type(exc).__name__}: {exc}")
        return p.Reply(request.id, True, result)

    def send(self, message: p.Message) -> None:
        if self.closed:
            return
        try:
            frame = p.encode(message)
        except (p.ProtocolError, TypeError, ValueError) as exc:
            rid = message.id if isinstance(message, p.Reply | p.Event) else None
            frame = p.encode(p.Reply.failure(rid, p.ERR_INTERNAL, f"cannot encode: {exc}"))
        self._write(frame)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._ops.forget(self)
