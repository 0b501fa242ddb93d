"""A phone line without SIP, for the simulated board and tests of the service wiring.

`make run` (board sim, no `[phone]` section) puts one in the service: the simulated callers
ring in through it, so a simulated call takes the same path as a SIP one (line events →
`PhonePlug` → ACD; ACD records → `execute`).

Same surface as `PhoneLine` (`start`, `stop`, `events`, `execute`); a test or the simulation
injects network happenings (`ring_in`, `caller_hangs_up`, `far_end_hangs_up`) and reads what
the gateway asked of the line in `commands` (`("answer", call)`, `("hangup", call)`,
`("dial", number)`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any


class FakePhoneLine:
    """Records commands, injects calls. Raises nothing."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []
        self.connected: dict[str, str] = {}  # call -> agent
        self.waiting: set[str] = set()
        self._out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._ids = itertools.count(1)
        self.running = False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self._out.get()

    # -- the network side (test/simulation) --
    def ring_in(self, queue: str, call: str | None = None, priority: int = 0) -> str:
        call = call or f"fake-{next(self._ids)}"
        self.waiting.add(call)
        event: dict[str, Any] = {"event": "call_arrived", "call": call, "queue": queue}
        if priority:
            event["priority"] = priority
        self._out.put_nowait(event)
        return call

    def counts(self) -> dict[str, int]:
        """How many of each command the gateway gave the line (the dashboard shows them)."""
        out = {"answer": 0, "hangup": 0, "dial": 0}
        for command, _ in self.commands:
            out[command] += 1
        return out

    def caller_hangs_up(self, call: str) -> None:
        if call in self.waiting:
            self.waiting.discard(call)
            self._out.put_nowait({"event": "caller_hangup", "call": call})
        elif call in self.connected:
            agent = self.connected.pop(call)
            self._out.put_nowait({"event": "call_end", "agent": agent, "call": call})

    far_end_hangs_up = caller_hangs_up

    # -- the gateway side --
    def execute(self, record: Any) -> None:
        rtype, call = record.type, record.get("call")
        if rtype == "CALL_CONNECTED" and call in self.waiting:
            self.waiting.discard(call)
            self.connected[call] = record.get("agent")
            self.commands.append(("answer", call))
        elif rtype in ("CALL_ENDED", "CALL_OVERFLOW") and (
            call in self.waiting or call in self.connected
        ):
            self.waiting.discard(call)
            self.connected.pop(call, None)
            self.commands.append(("hangup", call))
        elif rtype == "DIALED":  # the ACD names an outbound call `#out<seq>`
            self.connected[f"#out{record.seq}"] = record.get("agent")
            self.commands.append(("dial", str(record.get("number"))))
