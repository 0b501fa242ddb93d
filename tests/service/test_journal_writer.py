"""The journal writer thread: batches committed in order, reported durable on the loop, all
of them on disk after close; the ACD port acts at once and acknowledges only once durable."""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.acd.params import AcdParams, AgentParams, QueueParams
from firmware.acd.records import Record, make
from firmware.journal.store import Journal
from firmware.service.acdport import CoreClock, JournaledAcd
from firmware.service.journal_writer import JournalWriter

PARAMS = AcdParams(queues=(QueueParams("Q"),), agents=(AgentParams("A", queues=("Q",)),))


def batch(first: int, n: int) -> list[Record]:
    return [
        make(first + i, float(first + i), "COUNTER_CHANGED", agent="A", value=i) for i in range(n)
    ]


def test_batches_commit_in_order_and_are_reported_on_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    durable: list[int] = []
    threads: list[bool] = []

    async def main() -> JournalWriter:
        loop = asyncio.get_running_loop()

        def on_durable(records: list[Record]) -> None:
            threads.append(asyncio.get_running_loop() is loop)
            durable.extend(r.seq for r in records)

        writer = JournalWriter(path, loop, on_durable, lambda exc: None)
        seq = 1
        for n in (3, 1, 4, 1, 5):
            writer.append(batch(seq, n))
            seq += n
        assert await asyncio.to_thread(writer.flush, 10.0)
        await asyncio.sleep(0.05)  # let the durable callbacks run
        writer.close()
        return writer

    writer = asyncio.run(main())
    assert durable == list(range(1, 15)) and all(threads)
    assert 1 <= writer.commits <= 5  # group commit may merge batches
    with Journal(path) as journal:
        assert [r.seq for r in journal.records()] == list(range(1, 15))


def test_port_acts_at_once_and_acknowledges_when_durable(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    acd = JournaledAcd(PARAMS, journal, CoreClock())
    local: list[str] = []
    acked: list[str] = []
    acd.listeners.append(lambda rs: local.extend(r.type for r in rs))
    acd.durable_listeners.append(lambda rs: acked.extend(r.type for r in rs))

    async def main() -> None:
        acd.start_writer()
        acd.submit({"event": "call_arrived", "call": "C1", "queue": "Q"}, acd.clock())
        assert local == ["CALL_ENQUEUED", "OFFER_STARTED"]
        assert acd.seq == 2
        acd.flush()
        await asyncio.sleep(0.05)
        assert acked == local and acd.durable_seq == 2
        acd.stop_writer()

    asyncio.run(main())
    assert [r.type for r in journal.records()] == ["CALL_ENQUEUED", "OFFER_STARTED"]
    journal.close()
