"""The service wiring (`PhonePlug`) on the real gateway and journaled ACD, with the fake line:
a call from the line is offered, answered, and its end reaches the line; no `[phone]`
section builds no line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.config import parse_config
from firmware.hid.fake import FakeBackend
from firmware.journal.store import Journal
from firmware.phone.fake import FakePhoneLine
from firmware.phone.plug import PhonePlug, build_phone_line
from firmware.service.acdport import CoreClock, JournaledAcd
from firmware.service.gateway import Gateway

SITE = {
    "acd": {
        "queues": [{"name": "Q"}],
        "agents": [{"id": "A", "queues": ["Q"], "hook_device": False}],
    }
}


def test_no_phone_section_builds_no_line(tmp_path: Path) -> None:
    assert build_phone_line(parse_config(SITE, "site"), tmp_path) is None
    with_phone = parse_config({**SITE, "phone": {"address": "192.0.2.1"}}, "site")
    line = build_phone_line(with_phone, tmp_path)
    assert line is not None and [ln.aor for ln in line.lines] == [
        "sip:Q-1@192.0.2.1",
        "sip:Q-2@192.0.2.1",
    ]


def test_line_calls_flow_through_the_gateway(tmp_path: Path) -> None:
    async def main() -> list[str]:
        config = parse_config(SITE, "site")
        journal = Journal(tmp_path / "j.sqlite")
        acd = JournaledAcd(config.acd.to_params(), journal, CoreClock())
        gateway = Gateway(config, acd, FakeBackend())
        gateway.start()
        fake = FakePhoneLine()
        plug = PhonePlug(fake, gateway)
        task = asyncio.create_task(plug.serve())
        await asyncio.sleep(0)
        call = fake.ring_in("Q")
        for _ in range(100):  # let the plug task hand the event over
            await asyncio.sleep(0)
            if acd.state.calls:
                break
        gateway.submit({"event": "answer", "agent": "A"})
        assert fake.commands == [("answer", call)]
        fake.far_end_hangs_up(call)
        for _ in range(100):
            await asyncio.sleep(0)
            if not acd.state.calls:
                break
        gateway.submit({"event": "dial", "agent": "A", "number": "0123456789"})
        gateway.submit({"event": "hangup", "agent": "A"})
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gateway.stop()
        types = [f"{r.type}:{r.get('reason') or ''}" for r in journal.records()]
        journal.close()
        assert acd.listeners == [gateway._on_records]  # the plug removed its listener
        assert fake.commands[1:] == [("dial", "0123456789"), ("hangup", "#out6")]
        return types

    types = asyncio.run(main())
    assert types == [
        "CALL_ENQUEUED:",
        "OFFER_STARTED:",
        "OFFER_ENDED:",
        "CALL_CONNECTED:",
        "CALL_ENDED:remote_hangup",
        "DIALED:",
        "CALL_ENDED:agent_hangup",
    ]
