"""The simulated board's callers ring in through a fake phone line, the same seam as the SIP
line: line events → PhonePlug → ACD, and the ACD's records come back to the line as the
commands a SIP line would carry out (answer when the agent's hook connects the call, hang up
when the agent hangs up, nothing for a caller who abandons)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.phone.fake import FakePhoneLine
from firmware.service.app import Options, Service
from firmware.service.logs import setup_logging
from firmware.sim.desk import SimDesk
from tests.service.test_agent_day import SPEED, site, until


def test_simulated_calls_take_the_phone_line_path(tmp_path: Path) -> None:
    options = Options(
        board="sim",
        config=site(tmp_path),
        console="",
        state_dir=str(tmp_path / "state"),
        audio=False,
        speed=SPEED,
    )
    service = Service(options, setup_logging(quiet=True))
    service.setup()
    line = FakePhoneLine()
    service.phone = line
    desk = SimDesk(service, speed=SPEED, line=line)
    state = service.acd.state

    async def calls() -> None:
        await until(lambda: service.stop_event is not None, "the service to start")
        desk.start()
        c1 = desk.call("sales")
        await until(lambda: state.agents["alice"].offer == c1, "the line's call offered to alice")
        assert line.commands == []  # ringing: nothing answered on the line yet
        desk.hook("alice", True)
        await until(lambda: ("answer", c1) in line.commands, "the line told to answer")
        assert line.connected == {c1: "alice"}
        desk.hook("alice", False)
        await until(lambda: ("hangup", c1) in line.commands, "the line told to hang up")
        c2 = desk.call("support", priority=5)
        await until(lambda: c2 in state.calls, "the second call queued")
        line.caller_hangs_up(c2)  # the caller gives up
        await until(lambda: c2 not in state.calls, "the abandoned call gone")
        assert line.counts() == {"answer": 1, "hangup": 1, "dial": 0}
        service.stop()

    async def main() -> int:
        return await service.run([calls])

    assert asyncio.run(asyncio.wait_for(main(), 60)) == 0
