"""`deskgate stats`: service level and abandon rate per queue, recomputed from the journal
(tests/data/acd/stats: Q answers C1 after 5 s and C2 after 20 s, loses C3; R overflows C4
and loses C5; S has no traffic; C6 is answered after 1 s and still connected when the day ends)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from firmware.acd.stats import queue_stats
from firmware.cli import main
from firmware.commands.stats import stats_from_journal
from firmware.config import load_config
from firmware.journal.recovery import recover
from firmware.journal.store import Journal
from tests.acd.replaying import DATA, replay

CONFIG = DATA / "stats" / "stats.toml"


def journal_of_the_day(tmp_path: Path) -> Path:
    path = tmp_path / "day.sqlite"
    replay(CONFIG, DATA / "stats" / "day.jsonl", journal=path)
    return path


def deskgate(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(list(argv))
    return status, out.getvalue()


def test_service_level_and_abandon_rate_per_queue(tmp_path: Path) -> None:
    """Issue: "service level (answered within the threshold / answered) and abandon rate per
    queue" (the issue). C2 waited exactly 20 s: within the threshold."""
    rows = {r["queue"]: r for r in stats_from_journal(journal_of_the_day(tmp_path), 20.0)}
    assert rows["Q"] == {
        "queue": "Q",
        "offered": 4,
        "answered": 3,  # C1, C2 and C6 (still talking when the day ends)
        "answered_within": 3,
        "abandoned": 1,
        "overflowed": 0,
        "service_level": 1.0,
        "abandon_rate": 0.25,
        "callbacks_scheduled": 0,
        "callbacks_connected": 0,
        "callbacks_given_up": 0,
    }
    assert (rows["R"]["offered"], rows["R"]["abandoned"], rows["R"]["overflowed"]) == (2, 1, 1)
    assert rows["R"]["service_level"] is None and rows["R"]["abandon_rate"] == 0.5
    tight = {r["queue"]: r for r in stats_from_journal(tmp_path / "day.sqlite", 19.0)}
    assert tight["Q"]["answered_within"] == 2 and tight["Q"]["service_level"] == 2 / 3


def test_the_figures_survive_a_restart(tmp_path: Path) -> None:
    """Recovery ends C6 (reason restart) in the journal: no figure changes."""
    path = journal_of_the_day(tmp_path)
    before = stats_from_journal(path)
    params = load_config(CONFIG).acd.to_params()
    with Journal(path) as journal:
        _, records = recover(params, journal)
    assert [r.get("reason") for r in records if r.type == "CALL_ENDED"] == ["restart"]
    assert stats_from_journal(path) == before


def test_deskgate_stats_prints_a_table_and_json(tmp_path: Path) -> None:
    path = journal_of_the_day(tmp_path)
    status, text = deskgate("stats", str(path), "--config", str(CONFIG))
    assert status == 0
    lines = text.splitlines()
    assert lines[0] == "service level threshold: 20 s"
    assert lines[2].split() == ["Q", "4", "3", "3", "1", "100.0%", "25.0%"]
    assert lines[3].split() == ["R", "2", "0", "0", "1", "-", "50.0%"]
    assert lines[4].split() == ["S", "0", "0", "0", "0", "-", "-"]  # listed from the config
    status, text = deskgate("stats", str(path), "--threshold", "19", "--json")
    data: dict[str, Any] = json.loads(text)
    assert data["threshold"] == 19 and [q["queue"] for q in data["queues"]] == ["Q", "R"]


def test_stats_of_a_missing_journal_is_a_command_error(tmp_path: Path) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["stats", str(tmp_path / "nope.sqlite")])
    assert status == 1 and "no such journal" in err.getvalue()


def test_callbacks_are_counted_apart_from_inbound_calls(tmp_path: Path) -> None:
    path = tmp_path / "cb.sqlite"
    replay(DATA / "callbacks" / "callbacks.toml", DATA / "callbacks" / "power_retry.jsonl",
           journal=path)  # fmt: skip
    with Journal(path) as journal:
        stats = queue_stats(journal.records(), 20.0)
    assert (stats["Q"].offered, stats["Q"].answered) == (1, 1)  # C1 only
    assert (stats["Q"].callbacks_scheduled, stats["Q"].callbacks_connected) == (1, 1)
