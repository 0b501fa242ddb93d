"""What the management console can do on a running gateway: one table of operations.

Each operation takes the request's `args` and returns a JSON-ready result or raises `OpError`.
Read-only ones need no token; the session layer checks the token of the mutating ones
(`protocol.OPS`) before they get here.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from typing import Any

from firmware import __version__
from firmware.config import ConfigError
from firmware.console import protocol as p
from firmware.console.session import ConsoleSession, OpError
from firmware.indicators.patterns import Color, Pattern
from firmware.journal.store import JournalError
from firmware.service.logs import LogRing
from firmware.service.settings import get_dotted, redact

SETTABLE = ("ready", "withdrawn", "unavailable")
JOURNAL_TAIL = 200


class GatewayOperations:
    """The console's `Operations` over a running service (`app.Service`)."""

    def __init__(self, service: Any, logs: LogRing) -> None:
        self.service = service
        self.logs = logs
        self.watches: dict[ConsoleSession, tuple[int, Callable[[dict[str, Any]], None]]] = {}
        self.table: dict[str, Callable[[dict[str, Any], ConsoleSession, int], Any]] = {
            "hello": self.hello,
            "status": self.status,
            "watch": self.watch,
            "unwatch": self.unwatch,
            "state": self.state,
            "hid_list": self.hid_list,
            "leds_test": self.leds_test,
            "audio_levels": self.audio_levels,
            "config_get": self.config_get,
            "config_set": self.config_set,
            "logs": self.log_lines,
            "diag": self.diag,
        }

    def call(self, request: p.Request, session: ConsoleSession) -> Any:
        return self.table[request.op](request.args, session, request.id)

    def forget(self, session: ConsoleSession) -> None:
        entry = self.watches.pop(session, None)
        if entry is not None and entry[1] in self.service.gateway.watchers:
            self.service.gateway.watchers.remove(entry[1])

    # -- read-only --------------------------------------------------------------------------
    def hello(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        # A serial line has no disconnect: a new hello is a new client, so a watch left by a
        # killed gwctl ends here instead of streaming to nobody.
        self.forget(session)
        return {"gateway": self.service.config.site.name, "firmware": __version__}

    def status(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        gw = self.service.gateway
        snap = gw.acd.snapshot()
        for agent, info in snap["agents"].items():
            info["muted"] = gw.muted.get(agent, False)
            info["pattern"] = str(gw.pattern(agent))
        return {
            "gateway": self.service.config.site.name,
            "firmware": __version__,
            "desk_agent": gw.desk_agent,
            "uptime": round(self.service.uptime(), 3),
            "config": self.service.config_note(),
            **snap,
            "indicators": [
                {"name": s.name, "present": s.present, "shows": s.shows}
                for s in gw.driver.statuses()
            ],
        }

    def watch(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        self.forget(session)

        def send(event: dict[str, Any]) -> None:
            session.send(p.Event(rid, event))

        self.watches[session] = (rid, send)
        self.service.gateway.watchers.append(send)
        return {"watching": True, "seq": self.service.gateway.acd.seq}

    def unwatch(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        had = session in self.watches
        self.forget(session)
        return {"watching": False, "was_watching": had}

    def hid_list(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        return self.service.gateway.headsets()

    def audio_levels(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        audio = self.service.gateway.audio
        if audio is None:
            raise OpError(p.ERR_FAILED, "audio is not running on this gateway (--no-audio)")
        s = audio.stats()
        return {
            "mic_dbfs": s.mic_dbfs,
            "line_dbfs": s.line_dbfs,
            "far_dbfs": s.far_dbfs,
            "talking": s.talking,
            "muted": s.muted,
            "noise_active": s.noise_active,
            "noise_fault": s.noise_fault,
            "uplink": {"overruns": s.uplink.overruns, "underruns": s.uplink.underruns},
            "downlink": {"overruns": s.downlink.overruns, "underruns": s.downlink.underruns},
            "latency_ms": round(s.uplink.latency_ms, 1),
        }

    def config_get(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        data = redact(self.service.config.model_dump(mode="json"))
        key = args.get("key") or ""
        if not isinstance(key, str):
            raise OpError(p.ERR_ARGS, "'key' must be a string")
        try:
            return {"key": key, "value": get_dotted(data, key)}
        except KeyError:
            raise OpError(p.ERR_FAILED, f"no configuration key {key!r}") from None

    def log_lines(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        since = args.get("since", 0)
        if not isinstance(since, int | float) or isinstance(since, bool):
            raise OpError(p.ERR_ARGS, "'since' must be a number (seconds since the epoch)")
        return self.logs.since(float(since))

    def diag(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        gw = self.service.gateway
        tail = [r.to_dict() for r in gw.acd.journal.records()][-JOURNAL_TAIL:]
        return {
            "versions": {
                "firmware": __version__,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
            },
            "config": redact(self.service.config.model_dump(mode="json")),
            "config_note": self.service.config_note(),
            "journal_tail": tail,
            "headsets": gw.headsets(),
            "indicators": [s.__dict__ for s in gw.driver.statuses()],
            "logs": self.logs.since(0)[-200:],
        }

    # -- mutating ---------------------------------------------------------------------------
    def state(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        agent, status, reason = args.get("agent"), args.get("status"), args.get("reason")
        gw = self.service.gateway
        if agent not in gw.acd.state.agents:
            known = ", ".join(sorted(gw.acd.state.agents))
            raise OpError(p.ERR_ARGS, f"unknown agent {agent!r} (known: {known})")
        if status not in SETTABLE:
            raise OpError(p.ERR_ARGS, f"status must be one of {', '.join(SETTABLE)}")
        if reason is not None and (not isinstance(reason, str) or not reason):
            raise OpError(p.ERR_ARGS, "'reason' must be a non-empty string")
        event = {"event": "set_status", "agent": agent, "status": status, "by": "supervisor"}
        if reason:
            event["reason"] = reason
        records = gw.submit(event)
        try:
            gw.acd.flush()  # a change is acknowledged only once it is on disk
        except JournalError as exc:
            raise OpError(p.ERR_FAILED, f"not recorded: {exc}") from None
        rejected = [r for r in records if r.type == "REJECTED"]
        if rejected:
            raise OpError(p.ERR_FAILED, f"{rejected[0]['error']}: {rejected[0]['detail']}")
        a = gw.acd.state.agents[agent]
        return {
            "agent": agent,
            "status": a.status,
            "reason": a.reason,
            "origin": a.origin,
            "records": [r.to_dict() for r in records],
        }

    def leds_test(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        steps = [Pattern(c) for c in (Color.GREEN, Color.AMBER, Color.RED)]
        return {"steps": [str(s) for s in self.service.leds_test(steps)]}

    def config_set(self, args: dict[str, Any], session: ConsoleSession, rid: int) -> Any:
        key, value = args.get("key"), args.get("value")
        if not isinstance(key, str):
            raise OpError(p.ERR_ARGS, "'key' must be a string")
        try:
            note = self.service.set_config(key, value)
        except (ConfigError, JournalError) as exc:  # refused: the running config stays
            raise OpError(p.ERR_FAILED, f"not applied: {exc}") from None
        return {"key": key, "value": value, "applied": note}
