"""The service as systemd runs it: SIGKILL during a busy day and recovery from the journal,
sd_notify readiness and watchdog pings, SIGHUP reload keeping the last good configuration,
and a clean SIGTERM stop."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from pathlib import Path

from firmware.config import load_config
from firmware.journal.recovery import rebuild
from firmware.journal.store import Journal
from tests.service.harness import RunningGateway

SITE = Path(__file__).resolve().parents[2] / "board" / "sim" / "site.toml"
COMPARED = ("status", "reason", "origin", "failed_offers", "offer", "call", "connected")


def test_sigkill_mid_day_then_restart_agrees_with_a_replay(tmp_path: Path) -> None:
    state = tmp_path / "state"
    busy = RunningGateway(state, "--speed", "60", "--traffic", "2")
    try:
        busy.wait_records(60)
        busy.signal(signal.SIGKILL)
        assert busy.wait() == -signal.SIGKILL
    finally:
        busy.close()
    with Journal(state / "journal.sqlite") as journal:
        before_restart = journal.last_seq()
    assert before_restart >= 60

    quiet = RunningGateway(state, "--traffic", "0", "--no-agents")
    try:
        status = quiet.status()
    finally:
        quiet.close()
    params = load_config(SITE).acd.to_params()
    with Journal(state / "journal.sqlite") as journal:
        records = [r for r in journal.records() if r.seq <= status["seq"]]
    at_kill = rebuild(params, [r for r in records if r.seq <= before_restart])
    assert sum(r.type == "CALL_CONNECTED" for r in records) >= 3  # it was a busy day
    restart = [r for r in records if r.seq > before_restart and r.t == at_kill.now]
    cancelled = {
        (r["agent"], r["call"])
        for r in restart
        if r.type == "OFFER_ENDED" and r["outcome"] == "CANCELLED"
    }
    ringing = {(a.id, a.offer) for a in at_kill.agents.values() if a.offer is not None}
    assert cancelled == ringing  # what rang at the kill ended CANCELLED, durably, at restart
    talking = {a.call for a in at_kill.agents.values() if a.call is not None}
    ended = {r["call"] for r in restart if r.type == "CALL_ENDED" and r["reason"] == "restart"}
    assert ended == talking
    replayed = rebuild(params, records)
    for agent, shown in status["agents"].items():
        a = replayed.agents[agent]
        expected = {
            "status": a.status,
            "reason": a.reason,
            "origin": a.origin,
            "failed_offers": a.failed,
            "offer": a.offer,
            "call": a.call,
            "connected": a.connected,
        }
        assert {k: shown[k] for k in COMPARED} == expected, agent
    waiting = {name: [c for _, c in q.by_age] for name, q in replayed.queues.items()}
    assert {name: q["waiting"] for name, q in status["queues"].items()} == waiting


def test_notify_watchdog_reload_and_sigterm(tmp_path: Path) -> None:
    notify_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify_path))
    sock.settimeout(0.2)
    config = tmp_path / "site.toml"
    config.write_text(SITE.read_text())
    env = {"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "200000"}
    gw = RunningGateway(
        tmp_path / "state", "--config", str(config), "--traffic", "0", "--no-agents", env=env
    )
    messages: list[str] = []
    done = threading.Event()

    def read_all() -> None:  # like systemd: always reading, so nothing is dropped
        while not done.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                messages.append(sock.recv(4096).decode())

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()

    def collect(until: str, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(until in m for m in list(messages)) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"no {until!r} in {messages}")

    try:
        collect("READY=1")
        messages.clear()
        collect("WATCHDOG=1", count=3)  # pinged at half the 0.2 s period, over and over

        config.write_text(SITE.read_text().replace("ring_timeout = 15", "ring_timeout = -4"))
        messages.clear()
        gw.signal(signal.SIGHUP)
        collect("READY=1")
        assert "RELOADING=1" in messages
        got = gw.gwctl("config", "get", "acd.ring_timeout")
        assert got.stdout.strip() == "15.0", got.stderr
        got = gw.gwctl("logs")
        logs = got.stdout + got.stderr
        assert "reload refused, still running the previous configuration" in logs
        assert "acd.ring_timeout: Input should be greater than 0" in logs

        config.write_text(SITE.read_text().replace("ring_timeout = 15", "ring_timeout = 25"))
        messages.clear()
        gw.signal(signal.SIGHUP)
        collect("READY=1")
        assert gw.gwctl("config", "get", "acd.ring_timeout").stdout.strip() == "25.0"

        messages.clear()
        seq = gw.status()["seq"]
        gw.signal(signal.SIGTERM)
        assert gw.wait() == 0
        collect("STOPPING=1")
    finally:
        gw.close()
        done.set()
        reader.join(timeout=5)
        sock.close()
    assert "stopped; journal closed at record" in gw.logs()
    with Journal(tmp_path / "state" / "journal.sqlite") as journal:
        assert journal.last_seq() == seq
    assert not (tmp_path / "state" / "console.sock").exists()


def test_bad_config_at_start_runs_the_last_good_one(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text(SITE.read_text())
    gw = RunningGateway(tmp_path / "state", "--config", str(config), "--traffic", "0")
    gw.close()
    config.write_text(SITE.read_text().replace('desk_agent = "alice"', 'desk_agent = "zed"'))
    gw = RunningGateway(tmp_path / "state", "--config", str(config), "--traffic", "0")
    try:
        status = gw.status()
    finally:
        gw.close()
    assert status["desk_agent"] == "alice"
    assert (
        "site.desk_agent: unknown agent 'zed' (known: alice, bob, chloe)"
        in (status["config"]["fallback_reason"])
    )
