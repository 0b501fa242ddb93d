"""A scripted agent day through the whole service on the simulated board: calls, hook presses,
mute, the state button and a headset unplug produce the expected journal, LED log, headset
reports and `gwctl status` (run as a subprocess over a real pty pair)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.indicators.fake import FakeIndicator
from firmware.journal.store import Journal
from firmware.service.app import Options, Service
from firmware.service.logs import setup_logging
from firmware.sim.desk import SimDesk
from firmware.sim.nullmodem import NullModem
from tests.service.harness import BIN

SITE = Path(__file__).resolve().parents[2] / "board" / "sim" / "site.toml"
SPEED = 20.0  # core seconds per real second: the 10 s wrap-up lasts 0.5 s


def site(tmp: Path) -> Path:
    """The sim site with a ring timeout long enough that no offer rings out under load."""
    text = SITE.read_text().replace("ring_timeout = 15", "ring_timeout = 3600")
    path = tmp / "site.toml"
    path.write_text(text)
    return path


async def until(cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def types(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Records without seq and t (real timing varies), as comparable tuples."""
    return [tuple(v for k, v in r.items() if k not in ("seq", "t")) for r in records]


def test_scripted_agent_day(tmp_path: Path) -> None:
    setup_logging(quiet=True)
    modem = NullModem()
    options = Options(
        board="sim",
        config=site(tmp_path),
        console=modem.gateway_end,
        state_dir=str(tmp_path / "state"),
        audio=False,
        speed=SPEED,
    )
    service = Service(options, setup_logging(quiet=True))
    service.setup()
    desk = SimDesk(service, speed=SPEED)
    seen: list[dict[str, Any]] = []
    service.acd.listeners.append(lambda recs: seen.extend(r.to_dict() for r in recs))
    state = service.acd.state
    led = next(i for i in service.gateway.driver.indicators if i.name == "busylight")
    ready_led = next(i for i in service.gateway.driver.indicators if i.name == "ready")
    assert isinstance(ready_led, FakeIndicator)
    status_text: list[str] = []

    async def day() -> None:
        await until(lambda: service.stop_event is not None, "the service to start")
        desk.start()
        alice, bob = desk.hands["alice"].headset, desk.hands["bob"].headset
        c1 = desk.call("sales")
        await until(lambda: state.agents["alice"].offer == c1, "offer to alice")
        assert alice.writes[-1] == bytes.fromhex("02 88 00")  # Ring LED + Ringer (Jabra 380c)
        desk.hook("alice", True)
        await until(lambda: state.agents["alice"].call == c1, "alice answers")
        assert alice.writes[-1] == bytes.fromhex("02 01 00")  # Off-Hook LED only
        desk.mute("alice")
        await until(lambda: service.gateway.muted.get("alice", False), "alice mutes")
        c2 = desk.call("sales")
        await until(lambda: state.agents["bob"].offer == c2, "offer to bob")
        desk.replug("bob")  # unplugged while ringing
        await until(lambda: not state.agents["bob"].connected, "bob unplugged")
        assert state.calls[c2].state == "waiting"
        desk.replug("bob")
        await until(lambda: state.agents["bob"].offer == c2, "offer to bob again")
        desk.hook("bob", True)
        await until(lambda: state.agents["bob"].call == c2, "bob answers")
        assert bob.writes, "bob's headset got its reports"
        desk.hook("alice", False)
        await until(lambda: state.agents["alice"].reason == "post_call", "alice in wrap-up")
        await until(lambda: state.agents["alice"].status == "ready", "wrap-up ends")
        desk.button("alice")  # short press: ready -> withdrawn (manual)
        await until(lambda: state.agents["alice"].status == "withdrawn", "alice withdraws")
        out = await asyncio.to_thread(
            subprocess.run,
            [str(BIN / "gwctl"), "--port", modem.host_end, "--timeout", "5", "status"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert out.returncode == 0, out.stderr
        status_text.append(out.stdout)
        status_text.append(led.readback())
        service.stop()

    async def main() -> int:
        return await service.run([day])

    try:
        assert asyncio.run(asyncio.wait_for(main(), 60)) == 0
    finally:
        modem.close()

    sim = [r for r in seen if r["type"] != "COUNTER_CHANGED"]
    assert types(sim) == [
        ("CALL_ENQUEUED", "C0-1", "sales", 0),
        ("OFFER_STARTED", "alice", "C0-1"),
        ("HOOK_CHANGED", "alice", True),
        ("OFFER_ENDED", "alice", "C0-1", "ANSWERED"),
        ("CALL_CONNECTED", "alice", "C0-1"),
        ("CALL_ENQUEUED", "C0-2", "sales", 0),
        ("OFFER_STARTED", "bob", "C0-2"),
        ("DEVICE_CHANGED", "bob", False),
        ("OFFER_ENDED", "bob", "C0-2", "UNREACHABLE"),
        ("DEVICE_CHANGED", "bob", True),
        ("OFFER_STARTED", "bob", "C0-2"),
        ("HOOK_CHANGED", "bob", True),
        ("OFFER_ENDED", "bob", "C0-2", "ANSWERED"),
        ("CALL_CONNECTED", "bob", "C0-2"),
        ("HOOK_CHANGED", "alice", False),
        ("CALL_ENDED", "C0-1", "alice", "agent_hangup"),
        ("STATUS_CHANGED", "alice", "ready", "withdrawn", "post_call", "system"),
        ("STATUS_CHANGED", "alice", "withdrawn", "ready", "wrapup_end", "system"),
        ("STATUS_CHANGED", "alice", "ready", "withdrawn", "manual", "user"),
    ]
    with Journal(tmp_path / "state" / "journal.sqlite") as journal:
        assert [r.to_dict() for r in journal.records()] == seen  # every action was durable

    shown = [str(p) for _, p in ready_led.log]
    assert shown == [
        "green steady",  # ready at start
        "green blink 400/400 ms",  # C0-1 rings
        "red steady",  # talking
        "red wink 1800/200 ms",  # muted
        "amber steady",  # post-call wrap-up
        "green steady",  # wrap-up over
        "red steady",  # withdrawn with the button
    ]
    assert status_text[1].endswith("red steady (last written)")  # the busylight follows

    text = status_text[0]
    rows = {line.split()[0].lstrip("*"): line for line in text.splitlines()[3:6]}
    assert "withdrawn (manual, user)" in rows["alice"] and "on-hook" in rows["alice"]
    assert "call C0-2" in rows["bob"] and "off-hook" in rows["bob"]
    assert "queue sales: 0 waiting" in text


def test_status_json_matches_the_snapshot(tmp_path: Path) -> None:
    """The console's `status` is the core snapshot plus what only the service knows."""
    setup_logging(quiet=True)
    service = Service(
        Options(board="sim", state_dir=str(tmp_path), audio=False, console=""),
        setup_logging(quiet=True),
    )
    service.setup()
    result: dict[str, Any] = {}

    async def ask() -> None:
        await until(lambda: service.stop_event is not None, "start")
        from firmware.console import protocol as p

        request = p.Request(1, "status")
        result.update(service.operations.call(request, None))  # type: ignore[arg-type]
        service.stop()

    asyncio.run(asyncio.wait_for(service.run([ask]), 30))
    assert result["seq"] == service.acd.seq
    assert json.loads(json.dumps(result))["agents"]["alice"]["pattern"] == "green steady"
