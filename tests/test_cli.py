"""The `deskgate` command line as a user meets it."""

from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "firmware", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_help_lists_every_command() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("demo", "replay", "journal"):
        assert command in result.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    result = _run()
    assert result.returncode == 2
    assert "usage: deskgate" in result.stderr


def test_a_missing_script_is_a_usage_error() -> None:
    result = _run("replay", "--config", "/nonexistent.toml", "x.jsonl")
    assert result.returncode == 2
    assert result.stderr.startswith("deskgate: /nonexistent.toml: no such configuration file")


def test_the_demo_day_runs_to_the_end_piped() -> None:
    result = _run("demo")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("08:")
    assert any("ready → withdrawn (no_answer, system)" in line for line in lines)
    assert any("logged out" in line for line in lines)
    assert lines[-1].startswith("day over: ")
