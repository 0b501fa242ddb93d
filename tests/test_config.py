"""Configuration files: errors name the file, the key and the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from firmware.config import ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[acd]\nring_timout = 10\n", "site.toml: acd.ring_timout: unknown key"),
        ("[acd]\nring_timeout = -1\n", "site.toml: acd.ring_timeout: Input should be greater than 0"),
        ("[acd]\nmax_failed_offers = 0\n", "acd.max_failed_offers: Input should be greater than or equal to 1"),
        ('[[acd.queues]]\nname = "Q"\nstrategy = "random"\n', "acd.queues[0].strategy: Input should be"),
        ('[[acd.agents]]\nid = "A"\nqueues = ["salez"]\n', "unknown queue 'salez'"),
        ('[[acd.queues]]\nname = "Q"\n[[acd.queues]]\nname = "Q"\n', "duplicate queue name(s): Q"),
        ('[[acd.agents]]\nid = "A"\nstatus = "withdrawn"\nreason = "no_answer"\n', "acd.agents[0]: reason 'no_answer' is reserved"),
        ('[[acd.agents]]\nid = "A"\nstatus = "ready"\nreason = "break"\n', "'reason' only applies to status 'withdrawn'"),
        ("[acd\n", "site.toml: not valid TOML"),
        ("[acd]\nwrapup = 'long'\n", "acd.wrapup: Input should be a valid number"),
    ],
)  # fmt: skip
def test_errors_name_file_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    assert expected in str(info.value)
    assert str(tmp_path / "site.toml") in str(info.value)


def test_no_file_gives_the_defaults_and_a_missing_file_is_named(tmp_path: Path) -> None:
    assert load_config(None).acd.ring_timeout == 15
    with pytest.raises(ConfigError, match=r"nope\.toml: no such configuration file"):
        load_config(tmp_path / "nope.toml")


def test_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b"[acd]\nwrapup = 1 \xff\xfe\n")
    with pytest.raises(ConfigError, match=r"site\.toml: cannot read"):
        load_config(path)


def test_the_cli_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "[acd]\nretry_delay = 'soon'\n")
    script = tmp_path / "s.jsonl"
    script.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "firmware", "replay", "--config", str(path), str(script)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"deskgate: {path}: acd.retry_delay:")
    assert "Traceback" not in result.stderr
