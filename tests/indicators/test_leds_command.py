"""`deskgate leds test` / `leds show` on the simulated board and on a board whose LEDs live
in a temporary sysfs tree."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from firmware.commands import leds
from firmware.errors import CommandError
from firmware.indicators.board import BuildContext, build_indicators, load_board


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="deskgate")
    leds.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def test_leds_test_on_the_simulated_board_lights_everything_in_turn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["leds", "test", "--board", "sim", "--dwell", "0"]) == 0
    lines = [line.split()[:3] for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        ["ready", "fake", "green"],
        ["ready", "fake", "off"],
        ["withdrawn", "fake", "amber"],
        ["withdrawn", "fake", "red"],
        ["withdrawn", "fake", "off"],
        ["busylight", "busylight", "green"],
        ["busylight", "busylight", "amber"],
        ["busylight", "busylight", "red"],
        ["busylight", "busylight", "off"],
    ]


def _board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_led: bool) -> Path:
    sysfs = tmp_path / "sys"
    led = sysfs / "desk:green:ready"
    if with_led:
        led.mkdir(parents=True)
        for name, value in (("brightness", "0"), ("max_brightness", "1"), ("trigger", "none")):
            (led / name).write_text(value)
    board = tmp_path / "boards" / "bench"
    board.mkdir(parents=True)
    (board / "board.toml").write_text(
        "[[indicators]]\n"
        'name = "ready"\nbackend = "ledclass"\nled = "desk:green:ready"\n'
        f'colors = ["green"]\nroot = "{sysfs}"\n'
    )
    monkeypatch.setenv("DESKGATE_BOARDS", str(tmp_path / "boards"))
    return led


def test_leds_test_leaves_sysfs_leds_dark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    led = _board(tmp_path, monkeypatch, with_led=True)
    assert run(["leds", "test", "--board", "bench", "--dwell", "0"]) == 0
    assert "ready        ledclass   green — on (brightness 1)" in capsys.readouterr().out
    assert (led / "brightness").read_text() == "0"
    assert (led / "trigger").read_text() == "none"


def test_leds_show_reads_sysfs_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    led = _board(tmp_path, monkeypatch, with_led=True)
    (led / "trigger").write_text("none [timer] heartbeat")
    (led / "delay_on").write_text("400")
    (led / "delay_off").write_text("400")
    assert run(["leds", "show", "--board", "bench", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "name": "ready",
        "backend": "ledclass",
        "shows": "timer 400/400 ms",
    }


def test_leds_test_fails_when_an_led_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _board(tmp_path, monkeypatch, with_led=False)
    with pytest.raises(CommandError, match="1 of 1 indicators unavailable: ready") as err:
        run(["leds", "test", "--board", "bench", "--dwell", "0"])
    assert err.value.status == 1
    assert "UNAVAILABLE: ready: LED" in capsys.readouterr().out


def test_unknown_board_is_a_usage_error() -> None:
    with pytest.raises(CommandError, match=r"unknown board 'nope' .*known: .*rpi4.*sim") as err:
        run(["leds", "show", "--board", "nope"])
    assert err.value.status == 2


def test_rpi4_board_builds_without_touching_hardware() -> None:
    indicators = build_indicators(load_board("rpi4"), BuildContext(busylight="auto"))
    assert [(i.name, i.backend) for i in indicators] == [
        ("ready", "ledclass"),
        ("withdrawn", "gpio"),
        ("busylight", "busylight"),
    ]
    board = load_board("rpi4")
    assert (board.button.backend, board.button.key) == ("evdev", "KEY_PROG1")


def test_busylight_off_in_the_config_drops_busylights() -> None:
    indicators = build_indicators(load_board("sim"), BuildContext(busylight="off"))
    assert [i.name for i in indicators] == ["ready", "withdrawn"]
