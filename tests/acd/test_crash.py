"""Power-cut safety: `deskgate replay --journal` killed (SIGKILL) at many random points of a
long workload. After each kill the journal is an exact prefix of the uninterrupted run, and
running the same command again resumes it to the same records and the same final state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.acd.state import state_hash
from firmware.config import load_config
from firmware.journal.recovery import rebuild
from firmware.journal.store import Journal
from tests.acd.scripts import write_agent_day

KILLS = 10


def _cmd(config: Path, script: Path, journal: Path) -> list[str]:
    return [sys.executable, "-m", "firmware", "replay", "--config", str(config), str(script),
            "--journal", str(journal)]  # fmt: skip


def _dump(path: Path) -> list[str]:
    with Journal(path, create=False) as journal:
        return [r.to_json() for r in journal.records()]


def _final_hash(config: Path, path: Path) -> str:
    params = load_config(config).acd.to_params()
    with Journal(path, create=False) as journal:
        return state_hash(rebuild(params, journal.records()))


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_a_prefix_and_resumes(tmp_path: Path) -> None:
    config, script = write_agent_day(tmp_path)
    reference = tmp_path / "reference.sqlite"
    full = subprocess.run(_cmd(config, script, reference), capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    expected = full.stdout.splitlines()
    assert _dump(reference) == expected
    assert len(expected) > 1000

    rng = random.Random(2026)
    for kill in range(KILLS):
        journal = tmp_path / f"killed{kill}.sqlite"
        wait_for = rng.randrange(0, len(expected))
        proc = subprocess.Popen(_cmd(config, script, journal), stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for _ in range(wait_for):
            if not proc.stdout.readline():
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

        survived = _dump(journal)
        assert len(survived) >= wait_for, "a printed record was not durable"
        assert survived == expected[: len(survived)], f"kill {kill}: not a prefix"

        resumed = subprocess.run(_cmd(config, script, journal), capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.splitlines() == expected, f"kill {kill}: resume differs"
        assert _dump(journal) == expected
        assert _final_hash(config, journal) == _final_hash(config, reference)
