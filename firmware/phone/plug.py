"""How the gateway service plugs a phone line in (the only code that knows both sides).

`build_phone_line(config, state_dir)` gives a `PhoneLine` when the configuration has a
`[phone]` section, else None (no SIP section = no phone line). `PhonePlug` then feeds the
line's events to the gateway like any other ACD input, and every ACD record to the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Protocol

from firmware.config import GatewayConfig
from firmware.phone.ctrl import CtrlError
from firmware.phone.line import PhoneLine
from firmware.phone.supervisor import BaresipMissing

log = logging.getLogger("deskgate.phone")


class LineBackend(Protocol):
    """What the service needs of a phone line (`PhoneLine`, `FakePhoneLine`)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def events(self) -> Any: ...  # an async iterator of ACD event dicts
    def execute(self, record: Any) -> None: ...


class GatewayPort(Protocol):
    acd: Any

    def submit(self, event: dict[str, Any]) -> list[Any]: ...


def build_phone_line(config: GatewayConfig, state_dir: Path) -> PhoneLine | None:
    if config.phone is None:
        return None
    queues = [q.name for q in config.acd.queues]
    return PhoneLine(config.phone, queues, state_dir / "phone")


class PhonePlug:
    """Connects one line to the gateway: records → `line.execute`, line events →
    `gateway.submit`. `run()` serves until cancelled."""

    def __init__(self, line: LineBackend, gateway: GatewayPort) -> None:
        self.line, self.gateway = line, gateway
        self._listener = self._records

    def _records(self, records: list[Any]) -> None:
        for record in records:
            self.line.execute(record)

    async def start(self) -> None:
        await self.line.start()
        self.gateway.acd.listeners.append(self._listener)

    async def run(self) -> None:
        async for event in self.line.events():
            self.gateway.submit(event)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.gateway.acd.listeners.remove(self._listener)
        await self.line.stop()

    async def serve(self) -> None:
        """start, run, and stop on cancellation (for a task of its own). A line that cannot
        start (baresip missing, its control port unreachable) is logged and left down: the
        headsets, indicators and console go on serving."""
        try:
            await self.start()
        except (BaresipMissing, CtrlError, OSError) as exc:
            log.error("phone line not started: %s", exc)
            await self.line.stop()
            return
        try:
            await self.run()
        finally:
            await asyncio.shield(self.stop())
