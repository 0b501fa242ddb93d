"""`deskgate hid ...` as a user runs it: output, exit status and error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware.cli import main
from firmware.config import ConfigError, parse_config
from firmware.hid.backend import DeviceInfo
from firmware.hid.fake import FakeBackend, FakeHeadset
from tests.hid.fixtures import DATA, JABRA_380C, NEGATIVES, descriptor_bytes


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_describe_prints_the_contract_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["hid", "describe", str(DATA / JABRA_380C)], capsys)
    assert status == 0
    obj = json.loads(out)
    assert set(obj) == {"telephony", "controls"}, "the contract object has exactly two keys"
    assert obj["telephony"] is True
    assert obj["controls"][0] == {
        "name": "hook_switch",
        "direction": "input",
        "report_id": 2,
        "bit": 0,
        "size": 1,
        "relative": False,
    }
    assert [c["name"] for c in obj["controls"] if c["direction"] == "output"] == [
        "off_hook_led",
        "mute_led",
        "ring_led",
        "hold_led",
        "microphone_led",
        "ringer",
    ]
    _, out, _ = run(["hid", "describe", "--collections", str(DATA / JABRA_380C)], capsys)
    selected = [c for c in json.loads(out)["collections"] if c["selected"]]
    assert selected == [{"usage_page": 0x0B, "usage": 0x05, "selected": True}]


@pytest.mark.parametrize("name", NEGATIVES)
def test_describe_gaming_headset_has_no_telephony(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["hid", "describe", str(DATA / name)], capsys)
    assert status == 0
    obj = json.loads(out)
    assert obj["telephony"] is False and obj["controls"] == []


@pytest.mark.parametrize("name", NEGATIVES)
def test_replay_refuses_a_gaming_headset_with_status_2(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('{"t":0,"in":"01 00"}\n')
    status, out, err = run(["hid", "replay", "--descriptor", str(DATA / name), str(script)], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "no telephony call controls" in err


def test_replay_prints_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('{"t":0,"in":"02 00 00"}\n{"t":1,"call":"ring"}\n\n{"t":2,"in":"02 01 00"}\n')
    status, out, _ = run(
        ["hid", "replay", "--descriptor", str(DATA / JABRA_380C), str(script)], capsys
    )
    assert status == 0
    assert out.splitlines() == [
        '{"t":0,"out":"02 00 00"}',
        '{"t":1,"out":"02 88 00"}',
        '{"t":2,"event":"hook","off_hook":true}',
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('{"t":1,"call":"dance"}', "line 2: 'call' must be one of ring, answer, hangup, idle"),
        ('{"t":1,"in":"02 0"}', "line 2: 'in' is not hex bytes"),
        ('{"t":1,"in":"02"}', "line 2: report offset 1: 2 payload byte(s) for input report 2"),
        ('{"t":-1,"call":"ring"}', "line 2: 't' goes back in time"),
    ],
)
def test_replay_bad_line_is_a_usage_error_naming_the_line(
    line: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.jsonl"
    script.write_text('{"t":0,"in":"02 00 00"}\n' + line + "\n")
    status, _, err = run(
        ["hid", "replay", "--descriptor", str(DATA / JABRA_380C), str(script)], capsys
    )
    assert status == 2
    assert err.startswith(f"deskgate: {script}: {message}")


def test_describe_broken_descriptor_names_the_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("# cut short\n05 0B 09 05 A1 01 85\n")
    status, _, err = run(["hid", "describe", str(bad)], capsys)
    assert status == 2
    assert err == (
        f"deskgate: {bad}: not a usable report descriptor: "
        "offset 6: item 0x85 needs 1 data byte(s), only 0 left\n"
    )


def test_list_shows_controls_and_seat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = FakeBackend()
    backend.add(
        FakeHeadset(
            DeviceInfo("/dev/hidraw3", 0x0B0E, 0x24C9, "SN1", "Jabra Link 380", "1-1.2"),
            descriptor_bytes(JABRA_380C),
        )
    )
    backend.add(
        FakeHeadset(
            DeviceInfo("/dev/hidraw4", 0x1532, 0x0560, "", "Razer", "1-1.4"),
            descriptor_bytes(NEGATIVES[1]),
        )
    )
    monkeypatch.setattr("firmware.commands.hid.make_backend", lambda: backend)
    config = tmp_path / "site.toml"
    config.write_text('[hid.seats]\n"1-1.2" = "A"\n')
    status, out, _ = run(["hid", "list", "--config", str(config), "--json"], capsys)
    assert status == 0
    jabra, razer = (json.loads(line) for line in out.splitlines())
    assert (jabra["seat"], jabra["id"]) == ("A", "0b0e:24c9")
    assert "hook_switch" in [c["name"] for c in jabra["controls"]]
    assert razer["seat"] is None and razer["controls"] == []
    assert "no telephony call controls" in razer["error"]


def test_hid_config_section() -> None:
    cfg = parse_config({"hid": {"echo_window": 0.3, "seats": {"SN1": "A"}}}, "t.toml")
    assert cfg.hid.echo_window == 0.3 and cfg.hid.seats == {"SN1": "A"}
    assert parse_config({}, "t.toml").hid.echo_window == 0.5
    with pytest.raises(ConfigError, match=r"t.toml: hid.seat: unknown key"):
        parse_config({"hid": {"seat": {}}}, "t.toml")


def test_monitor_prints_each_change_of_the_telephony_inputs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = FakeBackend()
    jabra = backend.add(
        FakeHeadset(DeviceInfo("/dev/hidraw3", 0x0B0E, 0x24C9), descriptor_bytes(JABRA_380C))
    )
    for report in ("020000", "020000", "010100", "020100"):  # repeat, consumer report, hook
        jabra.press(bytes.fromhex(report))
    monkeypatch.setattr("firmware.commands.hid.make_backend", lambda: backend)
    status, out, _ = run(["hid", "monitor", "--seconds", "0.3"], capsys)
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["report_id"], x["hook_switch"]) for x in lines] == [(2, 0), (2, 1)]
    assert jabra.writes == []  # monitoring never drives the LEDs
