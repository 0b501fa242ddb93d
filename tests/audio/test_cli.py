"""`deskgate audio`: process files, list devices, show levels; errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from firmware.audio.frames import StreamFormat
from firmware.audio.policy import DEFAULT_NS_LEVEL, DEFAULT_NS_MIX
from firmware.audio.wavio import read_wav, write_wav
from firmware.cli import main
from tests.audio.signals import noise, pause_to_speech_db, speech_with_typing

SIM = """\
[audio]
backend = "fake"
headset_mic = { name = "Headset", rate = 48000 }
headset_speaker = { name = "Headset", rate = 48000, channels = 2 }
phone_in = { name = "Phone Line", rate = 44100 }
phone_out = { name = "Phone Line", rate = 44100 }
ns_level = 3
"""


def test_process_writes_the_input_format_and_reports_the_delay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = np.repeat(noise(44_100, seed=17, smooth=8), 2)
    write_wav(tmp_path / "in.wav", x, StreamFormat(44_100, 2))
    rc = main(["audio", "process", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["delay_samples"] == 265 and report["ns_level"] == DEFAULT_NS_LEVEL
    assert report["ns_mix"] == DEFAULT_NS_MIX
    out = read_wav(tmp_path / "out.wav")
    assert out.format == StreamFormat(44_100, 2) and out.samples.size == x.size


def test_process_text_report_and_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_wav(tmp_path / "in.wav", noise(1600, seed=18), StreamFormat(16_000, 1))
    args = ["audio", "process", str(tmp_path / "in.wav"), str(tmp_path / "o.wav")]
    assert main([*args, "--ns-level", "0", "--agc", "9"]) == 0
    out = capsys.readouterr().out
    assert "noise suppression level 0 (mix 0.5), AGC 9" in out
    assert "delay: 0 samples (0.0 ms)" in out
    assert main([*args, "--ns-level", "4", "--ns-mix", "1"]) == 0
    out = capsys.readouterr().out
    assert "level 4 (mix 1), AGC off, pause gate off" in out
    assert "delay: 96 samples (6.0 ms)" in out


def test_process_lets_an_installer_hear_the_pause_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded speech with recorded typing: with --pause-gate 15 the typing after the words
    comes out well below what the file had; without it, nearly as it was."""
    mix, clean = speech_with_typing(6.0)
    write_wav(tmp_path / "in.wav", np.round(mix).astype(np.int16), StreamFormat(16_000, 1))
    args = ["audio", "process", str(tmp_path / "in.wav")]
    assert main([*args, str(tmp_path / "plain.wav"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pause_gate_db"] == 0
    assert main([*args, str(tmp_path / "gated.wav"), "--pause-gate", "15"]) == 0
    assert "pause gate 15 dB" in capsys.readouterr().out
    fed = pause_to_speech_db(mix, clean)
    plain = read_wav(tmp_path / "plain.wav").samples[96:].astype(np.float64)
    gated = read_wav(tmp_path / "gated.wav").samples[96:].astype(np.float64)
    assert pause_to_speech_db(plain, clean) > fed - 3
    assert pause_to_speech_db(gated, clean) < fed - 10


def test_process_takes_the_site_level_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "site.toml").write_text(SIM)
    write_wav(tmp_path / "in.wav", noise(1600, seed=19), StreamFormat(16_000, 1))
    args = ["audio", "process", str(tmp_path / "in.wav"), str(tmp_path / "o.wav")]
    assert main([*args, "--config", str(tmp_path / "site.toml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ns_level"] == 3


@pytest.mark.parametrize(
    "extra,content,message",
    [
        ([], b"not audio", "not a WAV file"),
        (["--ns-level", "7"], None, "level 7: expected 0 to 4"),
        (["--agc", "40"], None, "AGC target 40 dBFS"),
        (["--ns-mix", "0"], None, "mix 0.0: expected more than 0"),
        (["--pause-gate", "50"], None, "pause gate depth 50.0 dB: expected 0"),
    ],
)
def test_process_rejects_bad_input_with_status_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    content: bytes | None,
    message: str,
) -> None:
    src = tmp_path / "in.wav"
    if content is None:
        write_wav(src, noise(320), StreamFormat(16_000, 1))
    else:
        src.write_bytes(content)
    assert main(["audio", "process", str(src), str(tmp_path / "o.wav"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deskgate: ") and message in err
    assert not (tmp_path / "o.wav").exists()


def test_devices_lists_the_configured_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "site.toml").write_text(SIM)
    assert main(["audio", "devices", "--config", str(tmp_path / "site.toml"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows] == ["Fake USB Headset", "Fake Phone Line"]
    assert rows[0]["default_input"] and rows[0]["outputs"] == 2


def test_levels_reads_the_live_meters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.toml").write_text(SIM)
    cfg = str(tmp_path / "site.toml")
    rc = main(
        ["audio", "levels", "--config", cfg, "--seconds", "0.5", "--interval", "0.2", "--json"]
    )
    assert rc == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and all(r["ns_level"] == 3 for r in rows)
    assert rows[-1]["mic_dbfs"] > -40  # the fake headset hears a -24 dBFS tone


def test_levels_names_a_missing_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.toml").write_text(SIM.replace('"Headset", rate = 48000 }', '"Jabra" }'))
    assert main(["audio", "levels", "--config", str(tmp_path / "site.toml"), "--seconds", "1"]) == 1
    err = capsys.readouterr().err
    assert "no capture device matches 'Jabra'" in err and "#0 Fake USB Headset" in err


def test_bad_config_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.toml").write_text("[audio]\nns_level = 9\n")
    assert main(["audio", "devices", "--config", str(tmp_path / "site.toml")]) == 2
    assert "audio.ns_level" in capsys.readouterr().err
