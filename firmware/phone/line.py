"""The phone line the gateway service plugs in: baresip events ↔ ACD events and records.

How a queue call reaches the chosen seat's audio (docs/phone.md): every queue has *lines*,
one baresip account each (`sip:sales-1@ADDR` …), carrying one call at a time. A call arriving
on a line becomes `call_arrived` for that line's queue and stays unanswered — the caller hears
ringback from our 180 Ringing — while the ACD chooses a seat and rings its headset. When the
ACD connects the call (CALL_CONNECTED, after the hook went off), the line accepts it and
switches that one call's audio source and player to the agent's seat devices (the loopback
ends of the agent's noise-suppression chain). baresip 1.0.0 answers a second call on one
account by holding the first, so one account per concurrent call is the only layout that
keeps every call live.

Mapping:
  CALL_INCOMING           → call_arrived(call=<Call-ID>, queue=<line's queue>)
  CALL_CLOSED unanswered  → caller_hangup(call)       (the caller cancelled: 487 sent by baresip)
  CALL_CLOSED answered    → call_end(agent, call)     (the far end sent BYE; `call` lets the
                                                       core refuse a late one, ERR_NOT_THAT_CALL)
  CALL_CONNECTED          → uafind line; accept; ausrc/auplay seat devices
  CALL_ENDED / _OVERFLOW  → uafind line; hangup       (BYE, or 486 when still unanswered)
  HOLD_CHANGED customer   → uafind line; callfind; hold | resume   (re-INVITE sendonly/sendrecv)
  DIALED                  → uafind a free line; dial <trunk with number>
A baresip that exits, closes its control port or stalls is killed and restarted; every call
it carried is ended in the ACD exactly once (caller_hangup or call_end), since a restarted
baresip has no calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.config.phone import PhoneConfig
from firmware.phone import protocol
from firmware.phone.baresip_config import Line, plan_lines
from firmware.phone.ctrl import CommandFailed, CtrlClient, CtrlClosed, CtrlError
from firmware.phone.supervisor import BaresipMissing, BaresipProcess

log = logging.getLogger("deskgate.phone")


@dataclass
class SipCall:
    """One call on one line, as the adapter tracks it."""

    call: str  # ACD call id
    line: Line
    sip_id: str | None  # None for an outbound call until baresip reports it
    agent: str | None = None
    connected: bool = False
    outbound: bool = False
    t_incoming: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)  # monotonic timestamps (bench)


@dataclass(frozen=True, slots=True)
class Work:
    """A command sequence for the executor: `kind` answer | hangup | hold | resume | dial."""

    kind: str
    call: SipCall
    number: str = ""


class PhoneLine:
    """The SIP line backend: `start()`, `stop()`, `events()` (ACD event dicts) and
    `execute(record)` for every ACD record. `start` raises `BaresipMissing`; afterwards
    failures are logged and survived (baresip restarted, calls ended once)."""

    def __init__(
        self,
        phone: PhoneConfig,
        queues: list[str],
        workdir: Path,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.phone = phone
        self.lines = plan_lines(phone, queues)
        self.by_aor = {line.aor: line for line in self.lines}
        self.workdir = workdir
        self.clock = clock
        self.calls: dict[str, SipCall] = {}  # by ACD call id
        self.by_sip: dict[tuple[str, str], SipCall] = {}  # (aor, SIP Call-ID)
        self._ending: dict[tuple[str, str], SipCall] = {}  # ended by the ACD, hangup due
        self._out: asyncio.Queue[tuple[dict[str, Any], str]] = asyncio.Queue()
        self._pending: set[str] = set()  # calls with an ending event not yet consumed
        self._cancelled: set[str] = set()  # ... that the ACD ended meanwhile
        self._work: asyncio.Queue[Work] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.process: BaresipProcess | None = None
        self.client: CtrlClient | None = None
        self.up = asyncio.Event()
        self.stats = {"restarts": 0, "garbage": 0, "lost_calls": 0, "command_errors": 0}
        self.history: deque[SipCall] = deque(maxlen=4096)  # finished calls (bench, status)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start baresip and wait until its control port answers."""
        await self._spawn()
        self._task = asyncio.create_task(self._supervise(), name="phone-line")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._teardown()

    async def _spawn(self) -> None:
        self.process = BaresipProcess(self.phone, self.lines, self.workdir / "baresip")
        await self.process.start()
        self.client = CtrlClient("127.0.0.1", self.phone.ctrl_port, self.phone.stall_timeout)
        try:
            await self.client.connect()
            reply = await self.client.command("reginfo")
            if self.lines and self.lines[0].aor not in reply.data:
                raise CtrlClosed(
                    f"127.0.0.1:{self.phone.ctrl_port} is answered by another baresip "
                    f"(its accounts: {reply.data.strip()[:200]!r})"
                )
        except CtrlError:
            await self._teardown()
            raise
        self.up.set()

    async def _teardown(self) -> None:
        self.up.clear()
        if self.client is not None:
            await self.client.close()
        if self.process is not None:
            await self.process.kill()

    async def _supervise(self) -> None:
        while not self._stopping:
            reason = await self._serve()
            if self._stopping:
                return
            self.stats["restarts"] += 1
            tail = " | ".join(list(self.process.tail)[-3:]) if self.process else ""
            log.error("baresip restarted: %s%s", reason, f" (last output: {tail})" if tail else "")
            await self._teardown()
            self._line_lost()
            while not self._stopping:
                await asyncio.sleep(self.phone.restart_delay)
                try:
                    await self._spawn()
                    break
                except (CtrlError, BaresipMissing, OSError) as exc:
                    log.error("baresip did not come back: %s", exc)

    async def _serve(self) -> str:
        """Run one baresip instance until it fails; returns why."""
        assert self.process is not None and self.client is not None
        client = self.client
        tasks = {
            asyncio.create_task(self._pump(client), name="phone-events"),
            asyncio.create_task(self._probe(client), name="phone-probe"),
            asyncio.create_task(self._execute(client), name="phone-commands"),
            asyncio.create_task(self.process.wait(), name="phone-child"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.get_name() == "phone-child":
                return f"baresip exited with status {task.result()}"
            exc = task.exception()
            if exc is not None:
                return str(exc)
        return client.closed or "control connection ended"

    async def _probe(self, client: CtrlClient) -> None:
        while True:
            await asyncio.sleep(self.phone.probe_interval)
            await client.probe()  # CtrlStalled / CtrlClosed end this instance

    # -- baresip → ACD -------------------------------------------------------------------------
    async def _pump(self, client: CtrlClient) -> None:
        while True:
            event = await client.events.get()
            if event is None:
                return
            self.stats["garbage"] = client.garbage
            if isinstance(event, protocol.CallEvent):
                self.on_call_event(event)

    def _emit(self, event: dict[str, Any], call: str) -> None:
        if event["event"] != "call_arrived":
            self._pending.add(call)
        self._out.put_nowait((event, call))

    def on_call_event(self, ev: protocol.CallEvent) -> None:
        """One baresip call event (public for tests of the mapping)."""
        line = self.by_aor.get(ev.aor)
        if line is None:
            self.stats["garbage"] += 1
            log.warning("baresip: %s on unknown account %r ignored", ev.type, ev.aor[:80])
            return
        key = (ev.aor, ev.call_id)
        if ev.type == "CALL_INCOMING" and ev.direction == "incoming":
            self._incoming(line, ev)
        elif ev.type == "CALL_ESTABLISHED":
            sc = self.by_sip.get(key) or self._bind_outbound(line, ev.call_id)
            if sc is not None:
                sc.marks["established"] = self.clock()
        elif ev.type == "CALL_CLOSED":
            self._closed(key, ev)

    def _incoming(self, line: Line, ev: protocol.CallEvent) -> None:
        cid = protocol.acd_call_id(ev.call_id)
        if cid in self.calls or any(c.line == line for c in self.calls.values()):
            # A replayed or forked INVITE (same Call-ID on another line), or a second call on
            # a busy line: refuse it at SIP level; the ACD never hears of it.
            self.stats["garbage"] += 1
            log.warning("call %s on %s refused: duplicate or line busy", cid, line.aor)
            self._work.put_nowait(Work("hangup", SipCall(cid, line, ev.call_id)))
            return
        sc = SipCall(cid, line, ev.call_id, t_incoming=self.clock())
        sc.marks["incoming"] = sc.t_incoming
        self.calls[cid] = sc
        self.by_sip[(line.aor, ev.call_id)] = sc
        self._emit({"event": "call_arrived", "call": cid, "queue": line.queue}, cid)

    def _bind_outbound(self, line: Line, sip_id: str) -> SipCall | None:
        for sc in self.calls.values():
            if sc.outbound and sc.line == line and sc.sip_id is None:
                sc.sip_id = sip_id
                sc.connected = True
                self.by_sip[(line.aor, sip_id)] = sc
                return sc
        return None

    def _closed(self, key: tuple[str, str], ev: protocol.CallEvent) -> None:
        ending = self._ending.pop(key, None)
        if ending is not None:
            ending.marks["closed"] = self.clock()  # its hangup, if still queued, is moot
            return
        sc = self.by_sip.pop(key, None)
        if sc is None:
            line = self.by_aor[key[0]]
            sc = next((c for c in self.calls.values() if c.outbound and c.line == line), None)
        if sc is None or sc.call not in self.calls:
            return  # ended by the ACD already (our hangup), or never known
        del self.calls[sc.call]
        sc.marks["closed"] = self.clock()
        self.history.append(sc)
        if sc.agent is not None and sc.connected:
            self._emit({"event": "call_end", "agent": sc.agent, "call": sc.call}, sc.call)
        elif not sc.outbound:
            self._emit({"event": "caller_hangup", "call": sc.call}, sc.call)
        elif sc.agent is not None:
            self._emit({"event": "call_end", "agent": sc.agent, "call": sc.call}, sc.call)
        log.info("call %s closed by the network: %s", sc.call, ev.param)

    def _line_lost(self) -> None:
        """baresip is gone: every call it carried ends in the ACD, once."""
        self._ending.clear()
        for sc in list(self.calls.values()):
            self.stats["lost_calls"] += 1
            self.history.append(sc)
            if sc.agent is not None and (sc.connected or sc.outbound):
                self._emit({"event": "call_end", "agent": sc.agent, "call": sc.call}, sc.call)
            elif not sc.outbound:
                self._emit({"event": "caller_hangup", "call": sc.call}, sc.call)
        self.calls.clear()
        self.by_sip.clear()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """ACD events, in order, for as long as the line runs."""
        while True:
            event = self._take(*await self._out.get())
            if event is not None:
                yield event

    def ready_events(self) -> list[dict[str, Any]]:
        """The events available now, without waiting."""
        out = []
        while not self._out.empty():
            event = self._take(*self._out.get_nowait())
            if event is not None:
                out.append(event)
        return out

    def _take(self, event: dict[str, Any], call: str) -> dict[str, Any] | None:
        if event["event"] == "call_arrived":
            return event
        self._pending.discard(call)
        if call in self._cancelled:
            self._cancelled.discard(call)
            return None  # the ACD ended this call meanwhile: nothing left to tell it
        return event

    # -- ACD → baresip ---------------------------------------------------------------------------
    def execute(self, record: Any) -> None:
        """One ACD record (objects with `.type`, `.get(name)`, `.seq`). Never blocks."""
        rtype, call = record.type, record.get("call")
        sc = self.calls.get(call) if isinstance(call, str) else None
        if rtype == "OFFER_STARTED" and sc is not None:
            sc.marks.setdefault("offered", self.clock())
        elif rtype == "CALL_CONNECTED" and sc is not None and not sc.outbound:
            sc.agent, sc.connected = record.get("agent"), True
            sc.marks["connected"] = self.clock()
            self._work.put_nowait(Work("answer", sc))
        elif rtype in ("CALL_ENDED", "CALL_OVERFLOW"):
            if call in self._pending:
                self._cancelled.add(call)  # a network end queued meanwhile is void
            if sc is None:
                return
            del self.calls[call]
            if sc.sip_id is not None:
                self._ending[(sc.line.aor, sc.sip_id)] = sc
                self.by_sip.pop((sc.line.aor, sc.sip_id), None)
            sc.marks["ended"] = self.clock()
            self.history.append(sc)
            self._work.put_nowait(Work("hangup", sc))
        elif rtype == "HOLD_CHANGED" and record.get("party") == "customer" and sc is not None:
            self._work.put_nowait(Work("hold" if record.get("held") else "resume", sc))
        elif rtype == "DIALED":
            self._dial(record)

    def _dial(self, record: Any) -> None:
        agent, number = record.get("agent"), record.get("number")
        cid = f"#out{record.seq}"
        busy = {c.line for c in self.calls.values()}
        free = next((line for line in self.lines if line not in busy), None)
        if self.phone.trunk is None or free is None:
            why = "no trunk configured" if self.phone.trunk is None else "no free line"
            log.warning("outbound call for %s not placed: %s", agent, why)
            self._emit({"event": "call_end", "agent": agent, "call": cid}, cid)
            return
        sc = SipCall(cid, free, None, agent=agent, outbound=True)
        self.calls[cid] = sc
        self._work.put_nowait(Work("dial", sc, number))

    async def _execute(self, client: CtrlClient) -> None:
        while True:
            work = await self._work.get()
            try:
                await self._run(client, work)
            except CommandFailed as exc:
                self.stats["command_errors"] += 1
                log.warning("phone: %s for %s failed: %s", work.kind, work.call.call, exc)

    async def _run(self, client: CtrlClient, work: Work) -> None:
        sc, aor = work.call, work.call.line.aor
        if work.kind == "answer" and sc.call not in self.calls:
            return  # ended before we got to it
        if work.kind == "hangup" and "closed" in sc.marks:
            return  # the network ended it first: nothing left to hang up
        find: list[tuple[str, str | None]] = [("uafind", aor)]
        if sc.sip_id is not None:  # act on this call, never on a newer one of the line
            find.append(("callfind", sc.sip_id))
        async with client.transaction() as tx:
            if work.kind == "answer":
                seat = self.phone.seats.get(sc.agent or "")
                # after accept: before it, the account's own device wins at stream start
                devices = [("ausrc", seat.source), ("auplay", seat.player)] if seat else []
                replies = await tx.batch([*find, ("accept", None), *devices])
                self._check_found(sc, replies)
                if not replies[len(find)].data.startswith(f"{aor}:"):
                    raise CommandFailed(f"accept acted elsewhere: {replies[len(find)].data!r}")
                sc.marks["accepted"] = self.clock()
                for reply in replies[len(find) + 1 :]:
                    if "fail" in reply.data or "no such" in reply.data:
                        raise CommandFailed(f"seat audio for {sc.agent}: {reply.data.strip()}")
            elif work.kind == "hangup":
                if sc.sip_id is not None:
                    self._ending.pop((aor, sc.sip_id), None)
                self._check_found(sc, await tx.batch([*find, ("hangup", None)]))
            elif work.kind in ("hold", "resume"):  # baresip re-INVITEs sendonly / sendrecv
                self._check_found(sc, await tx.batch([*find, (work.kind, None)]))
            elif work.kind == "dial":
                assert self.phone.trunk is not None
                number = self.phone.trunk.replace("{number}", work.number)
                await tx.batch([("uafind", aor), ("dial", number)])

    @staticmethod
    def _check_found(sc: SipCall, replies: list[protocol.Response]) -> None:
        if len(replies) > 2 and "setting current call" not in replies[1].data:
            raise CommandFailed(f"call {sc.call} not on {sc.line.aor}: {replies[1].data.strip()}")
