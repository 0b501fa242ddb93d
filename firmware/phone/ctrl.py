"""An asyncio client of baresip's ctrl_tcp: commands with replies, events, stall detection.

baresip runs one command at a time and most act on its *current* account and call, so a
sequence (`uafind`, `callfind`, `accept`) is sent as one batch in one write, which baresip
runs without handling SIP in between; `transaction()` also keeps our own commands apart.
Every command has a deadline: no reply within `stall_timeout` raises `CtrlStalled`, and
`probe()` (a cheap `reginfo`) finds a stalled baresip when nothing else is being sent.
A broken stream (EOF, bad netstring, non-JSON) raises `CtrlClosed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator

from firmware.phone import netstring, protocol

log = logging.getLogger("deskgate.phone")


class CtrlError(Exception):
    """Base of the ctrl_tcp client errors."""


class CtrlClosed(CtrlError):
    """The connection is gone or carried garbage; baresip has to be restarted."""


class CtrlStalled(CtrlError):
    """baresip accepted a command but did not reply in time."""


class CommandFailed(CtrlError):
    """baresip replied ok=false (an unknown account, no call to act on)."""


class CtrlClient:
    """One connection to ctrl_tcp. `events` receives every event in arrival order."""

    def __init__(self, host: str, port: int, stall_timeout: float = 3.0) -> None:
        self.host, self.port, self.stall_timeout = host, port, stall_timeout
        self.events: asyncio.Queue[protocol.CallEvent | protocol.OtherEvent | None] = (
            asyncio.Queue()
        )
        self.garbage = 0  # malformed event payloads dropped
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[protocol.Response]] = {}
        self._tokens = itertools.count(1)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.closed: str | None = None

    async def connect(self, timeout: float = 5.0) -> None:
        """Connect, retrying while baresip starts. Raises CtrlClosed after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
                break
            except OSError as exc:
                if loop.time() > deadline:
                    raise CtrlClosed(f"ctrl_tcp {self.host}:{self.port}: {exc}") from None
                await asyncio.sleep(0.05)
        self._task = asyncio.create_task(self._read_loop(), name="baresip-ctrl")

    async def _read_loop(self) -> None:
        assert self._reader is not None
        decoder = netstring.NetstringDecoder()
        reason = "connection closed by baresip"
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                for payload in decoder.feed(data):
                    self._dispatch(payload)
        except netstring.NetstringError as exc:
            reason = f"bad framing from baresip: {exc}"
        except OSError as exc:
            reason = f"ctrl_tcp read failed: {exc}"
        self._fail(reason)

    def _dispatch(self, payload: bytes) -> None:
        try:
            msg = protocol.decode(payload)
        except protocol.ProtocolError as exc:
            self.garbage += 1
            log.warning("baresip: dropped a malformed message (%s)", exc)
            return
        if isinstance(msg, protocol.Response):
            fut = self._pending.pop(msg.token, None)
            if fut is not None and not fut.done():
                fut.set_result(msg)
        else:
            self.events.put_nowait(msg)

    def _fail(self, reason: str) -> None:
        if self.closed is None:
            self.closed = reason
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(CtrlClosed(reason))
        self._pending.clear()
        self.events.put_nowait(None)  # end of the event stream

    async def _batch(self, commands: list[tuple[str, str | None]]) -> list[protocol.Response]:
        """Send `commands` in one write and wait for every reply (in order).

        One write on loopback arrives in one read, and baresip's ctrl_tcp runs every command
        of a read back to back before its event loop handles any SIP message: the sequence
        is atomic. Without that, an INVITE for another line arriving between `uafind` and
        `accept` makes that line current (menu.so does so on CALL_INCOMING) and `accept`
        would answer the wrong call — measured with 16 simultaneous calls.
        """
        if self.closed is not None or self._writer is None:
            raise CtrlClosed(self.closed or "not connected")
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[protocol.Response]] = []
        frames = []
        for command, params in commands:
            token = str(next(self._tokens))
            frames.append(netstring.encode(protocol.encode_command(command, params, token)))
            futures.append(loop.create_future())
            self._pending[token] = futures[-1]
        self._writer.write(b"".join(frames))
        try:
            return list(await asyncio.wait_for(asyncio.gather(*futures), self.stall_timeout))
        except TimeoutError:
            for fut in futures:
                fut.cancel()
            names = " + ".join(c for c, _ in commands)
            raise CtrlStalled(
                f"baresip did not answer {names!r} within {self.stall_timeout:g} s"
            ) from None

    async def _command(self, command: str, params: str | None = None) -> protocol.Response:
        return (await self._batch([(command, params)]))[0]

    async def command(self, command: str, params: str | None = None) -> protocol.Response:
        """One command on its own. Raises CtrlStalled, CtrlClosed."""
        async with self._lock:
            return await self._command(command, params)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Commands that must run back to back (no other command in between)."""
        async with self._lock:
            yield Transaction(self)

    async def probe(self) -> None:
        """A cheap command to prove baresip still serves its control port."""
        await self.command("reginfo")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await self._writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._fail("closed")


class Transaction:
    """Commands inside `CtrlClient.transaction()`."""

    def __init__(self, client: CtrlClient) -> None:
        self._client = client

    async def run(self, command: str, params: str | None = None) -> protocol.Response:
        """Raises CommandFailed when baresip replies ok=false."""
        return (await self.batch([(command, params)]))[0]

    async def batch(self, commands: list[tuple[str, str | None]]) -> list[protocol.Response]:
        """Commands run back to back inside baresip (see `CtrlClient._batch`). Raises
        CommandFailed naming the first command that replied ok=false."""
        replies = await self._client._batch(commands)
        for (command, params), reply in zip(commands, replies, strict=True):
            if not reply.ok:
                raise CommandFailed(f"{command} {params or ''}: {reply.data.strip() or 'failed'}")
        return replies
