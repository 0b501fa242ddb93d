"""Every gwctl command end to end: `deskgate run --board sim --console <pty>` in a subprocess
and `gwctl --port <other end of the pty pair>` (no traffic, idle agents: a known state)."""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.harness import BIN, RunningGateway


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningGateway]:
    gateway = RunningGateway(
        tmp_path_factory.mktemp("gwctl") / "state", "--traffic", "0", "--no-agents"
    )
    try:
        yield gateway
    finally:
        gateway.close()


def test_status_shows_every_agent_of_the_sim_site(gw: RunningGateway) -> None:
    out = gw.gwctl("status")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("gateway sim-desk  firmware ")
    rows = {
        line.split()[0].lstrip("*"): line
        for line in lines
        if line[1:].startswith(("alice", "bob", "chloe"))
    }
    assert set(rows) == {"alice", "bob", "chloe"}
    assert rows["alice"].startswith("*alice")  # the desk agent
    assert "green steady" in rows["alice"] and "on-hook" in rows["alice"]


def test_status_json_is_the_same_state(gw: RunningGateway) -> None:
    status = gw.status()
    assert status["desk_agent"] == "alice"
    assert {a: s["connected"] for a, s in status["agents"].items()} == {
        "alice": True,
        "bob": True,
        "chloe": True,
    }
    assert status["queues"]["sales"]["members"] == ["alice", "bob"]
    names = [i["name"] for i in status["indicators"]]
    assert names == ["ready", "withdrawn", "busylight"]


def test_state_needs_the_token(gw: RunningGateway) -> None:
    out = gw.gwctl("state", "bob", "unavailable")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "gwctl: this command changes the gateway: give --token or GWCTL_TOKEN"
    )
    wrong = gw.gwctl("--token", "not-it", "state", "bob", "unavailable")
    assert wrong.returncode == 1 and wrong.stderr.strip() == "gwctl: wrong technician token"
    assert gw.status()["agents"]["bob"]["status"] == "ready"


def test_state_with_token_is_a_supervisor_change(gw: RunningGateway) -> None:
    out = gw.gwctl("state", "bob", "withdrawn", "--reason", "debrief", token=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bob: withdrawn (debrief, supervisor)"
    bob = gw.status()["agents"]["bob"]
    assert (bob["status"], bob["reason"], bob["origin"]) == ("withdrawn", "debrief", "supervisor")
    back = gw.gwctl("state", "bob", "ready", token=True)
    assert back.returncode == 0 and gw.status()["agents"]["bob"]["status"] == "ready"


def test_state_of_an_unknown_agent_is_an_error(gw: RunningGateway) -> None:
    out = gw.gwctl("state", "zoe", "ready", token=True)
    assert out.returncode == 1
    assert out.stderr.strip() == "gwctl: unknown agent 'zoe' (known: alice, bob, chloe)"


def test_usage_errors_exit_2(gw: RunningGateway) -> None:
    out = gw.gwctl("state", "bob", "asleep")
    assert out.returncode == 2 and "invalid choice" in out.stderr
    out = gw.gwctl("state", "bob", "ready", "--reason", "x")
    assert out.returncode == 2 and "gwctl: --reason applies to 'withdrawn' only" in out.stderr


def test_watch_streams_records_until_count(gw: RunningGateway) -> None:
    # A serial line is point to point: the watch holds it, the changes come by the socket.
    watch = subprocess.Popen(
        [
            str(BIN / "gwctl"),
            "--port",
            gw.port,
            "watch",
            "--json",
            "--count",
            "1",
            "--duration",
            "15",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        statuses = ["unavailable", "ready"]
        for i in range(40):
            if watch.poll() is not None:
                break
            gw.gwctl("state", "chloe", statuses[i % 2], token=True, port=gw.socket_port)
            time.sleep(0.2)
        out, err = watch.communicate(timeout=20)
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0, err
    event = json.loads(out.splitlines()[0])
    assert event["type"] == "STATUS_CHANGED" and event["agent"] == "chloe"
    assert event["origin"] == "supervisor"
    gw.gwctl("state", "chloe", "ready", token=True, port=gw.socket_port)


def test_hid_list(gw: RunningGateway) -> None:
    out = gw.gwctl("hid", "list", "--json")
    assert out.returncode == 0, out.stderr
    heads = {h["agent"]: h for h in json.loads(out.stdout)}
    assert heads["bob"]["vid_pid"] == "047f:c053" and heads["bob"]["connected"]
    text = gw.gwctl("hid", "list").stdout
    assert "alice    /dev/hidraw-sim0   0b0e:24c9 Jabra Link 380c (simulated) [SIM-ALICE]" in text


def test_leds_test_lights_each_colour(gw: RunningGateway) -> None:
    assert gw.gwctl("leds", "test").returncode == 1  # needs the token
    out = gw.gwctl("leds", "test", token=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "lighting in turn: green steady, amber steady, red steady; then back to the state"
    )


def test_audio_levels_without_audio_says_so(gw: RunningGateway) -> None:
    out = gw.gwctl("audio", "levels")
    assert out.returncode == 1
    assert out.stderr.strip() == "gwctl: audio is not running on this gateway (--no-audio)"


def test_config_get_and_set(gw: RunningGateway) -> None:
    out = gw.gwctl("config", "get", "acd.ring_timeout")
    assert (out.returncode, out.stdout.strip()) == (0, "15.0")
    whole = json.loads(gw.gwctl("config", "get", "--json").stdout)
    assert whole["site"]["name"] == "sim-desk"
    bad = gw.gwctl("config", "set", "acd.ring_timeout", "-1", token=True)
    assert bad.returncode == 1
    assert "acd.ring_timeout: Input should be greater than 0" in bad.stderr
    assert gw.gwctl("config", "get", "acd.ring_timeout").stdout.strip() == "15.0"
    good = gw.gwctl("config", "set", "acd.ring_timeout", "20", token=True)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "acd.ring_timeout = 20 (applied: acd)"
    assert gw.gwctl("config", "get", "acd.ring_timeout").stdout.strip() == "20.0"
    missing = gw.gwctl("config", "get", "acd.nope")
    assert missing.returncode == 1 and "no configuration key 'acd.nope'" in missing.stderr
    assert gw.gwctl("config", "set", "acd.ring_timeout", "15", token=True).returncode == 0
    # Valid on its own, but the journal has bob's records: refused, nothing changes.
    assert gw.gwctl("state", "bob", "unavailable", token=True).returncode == 0
    assert gw.gwctl("state", "bob", "ready", token=True).returncode == 0
    alone = gw.gwctl(
        "config", "set", "acd.agents", '[{id = "alice", queues = ["sales"]}]', token=True
    )
    assert alone.returncode == 1
    assert alone.stderr.startswith("gwctl: not applied: ") and "does not fit" in alone.stderr
    assert set(gw.status()["agents"]) == {"alice", "bob", "chloe"}
    assert gw.gwctl("config", "get", "acd.ring_timeout").stdout.strip() == "15.0"


def test_logs(gw: RunningGateway) -> None:
    out = gw.gwctl("logs", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert any("journal" in line["msg"] and "recovered" in line["msg"] for line in lines)
    future = gw.gwctl("logs", "--since", str(time.time() + 3600))
    assert (future.returncode, future.stdout) == (0, "")
    assert gw.gwctl("logs", "--since", "yesterday").returncode == 2


def test_diag_archive(gw: RunningGateway, tmp_path: Path) -> None:
    out_file = tmp_path / "diag.tar.gz"
    out = gw.gwctl("diag", str(out_file))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # progress only on a terminal
    with tarfile.open(out_file) as tar:
        names = sorted(n.split("/", 1)[1] for n in tar.getnames())
        bodies = b"".join(tar.extractfile(m).read() for m in tar.getmembers())  # type: ignore[union-attr]
        config = json.loads(tar.extractfile("deskgate-diag/config.json").read())  # type: ignore[union-attr]
    assert names == sorted(
        [
            "versions.json",
            "config.json",
            "config-note.json",
            "headsets.json",
            "indicators.json",
            "journal-tail.jsonl",
            "logs.jsonl",
            "collected.json",
        ]
    )
    assert config["site"]["name"] == "sim-desk"
    assert gw.token.encode() not in bodies  # the technician token never leaves the gateway


def test_ports_lists_json() -> None:
    out = subprocess.run(
        [str(BIN / "gwctl"), "ports", "--json"], capture_output=True, text=True, timeout=20
    )
    assert out.returncode == 0, out.stderr
    ports = json.loads(out.stdout)
    gateway_first = [p["gateway"] for p in ports]
    assert gateway_first == sorted(gateway_first, reverse=True)


def test_no_gateway_on_the_port(tmp_path: Path) -> None:
    from firmware.sim.nullmodem import NullModem

    with NullModem() as modem:  # nobody serves the other end
        out = subprocess.run(
            [str(BIN / "gwctl"), "--port", modem.host_end, "--timeout", "0.5", "status"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"gwctl: no answer from the gateway on {modem.host_end} within 0.5 s — is deskgate "
        "running, and is this its console port?"
    )
    missing = subprocess.run(
        [str(BIN / "gwctl"), "--port", str(tmp_path / "ttyNONE"), "status"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert missing.returncode == 1 and missing.stderr.startswith("gwctl: ")
    assert "gwctl ports" in missing.stderr


def test_audio_levels_with_the_simulated_sound(tmp_path: Path) -> None:
    gateway = RunningGateway(tmp_path / "state", "--traffic", "0", "--no-agents", audio=True)
    try:
        levels: dict[str, object] = {}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            out = gateway.gwctl("audio", "levels", "--json")
            assert out.returncode == 0, out.stderr
            levels = json.loads(out.stdout)
            if float(levels["mic_dbfs"]) > -60:  # type: ignore[arg-type]
                break
            time.sleep(0.3)
        text = gateway.gwctl("audio", "levels").stdout
    finally:
        gateway.close()
    assert float(levels["mic_dbfs"]) > -60  # type: ignore[arg-type]  # the mic hears the desk
    assert levels["muted"] is False and levels["noise_active"] is True
    assert text.startswith("mic ") and "noise suppression on" in text


def test_a_new_hello_ends_a_watch_left_on_the_serial_line(gw: RunningGateway) -> None:
    from host_tools.gwctl.link import connect

    first = connect(gw.port, None, timeout=5)
    first.call("watch")
    first.close()  # killed without unwatch: the serial session lives on
    second = connect(gw.port, None, timeout=5)  # its hello ends the orphaned watch
    try:
        second.call("status")
        gw.gwctl("state", "chloe", "unavailable", token=True, port=gw.socket_port)
        events = list(second.events(first.last_id, limit=0.5))
    finally:
        second.close()
        gw.gwctl("state", "chloe", "ready", token=True, port=gw.socket_port)
    assert events == []
