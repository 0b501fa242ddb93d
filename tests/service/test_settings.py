"""State directory resolution, the configuration store (file + overrides, last good kept),
the core clock and the sd_notify datagrams, on real files and sockets."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from firmware.config import ConfigError
from firmware.service.acdport import CoreClock
from firmware.service.settings import (
    LAST_GOOD,
    OVERRIDES,
    ConfigStore,
    get_dotted,
    parse_value,
    redact,
    resolve_state_dir,
)
from firmware.service.systemd import Notifier

SITE = Path(__file__).resolve().parents[2] / "board" / "sim" / "site.toml"


def test_state_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", f"{tmp_path}/sd:{tmp_path}/other")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert resolve_state_dir(str(tmp_path / "arg")) == tmp_path / "arg"
    assert resolve_state_dir(None) == tmp_path / "sd"  # systemd's first StateDirectory
    monkeypatch.delenv("STATE_DIRECTORY")
    assert resolve_state_dir(None) == tmp_path / "xdg" / "deskgate"
    assert (tmp_path / "xdg" / "deskgate").is_dir()


def store(tmp_path: Path, text: str | None = None) -> ConfigStore:
    path = tmp_path / "site.toml"
    path.write_text(text if text is not None else SITE.read_text())
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return ConfigStore(path, state)


def test_set_validates_persists_and_keeps_the_last_good(tmp_path: Path) -> None:
    s = store(tmp_path)
    assert s.load().acd.ring_timeout == 15
    assert s.set("acd.wrapup", 45).acd.wrapup == 45
    assert json.loads((s.state_dir / OVERRIDES).read_text()) == {"acd.wrapup": 45}
    with pytest.raises(ConfigError) as err:
        s.set("acd.wrapup", "soon")
    assert "acd.wrapup: Input should be a valid number" in str(err.value)
    assert s.current is not None and s.current.acd.wrapup == 45
    assert json.loads((s.state_dir / OVERRIDES).read_text()) == {"acd.wrapup": 45}
    with pytest.raises(ConfigError, match="unknown key"):
        s.set("acd.wrap_up", 3)
    assert ConfigStore(s.path, s.state_dir).load().acd.wrapup == 45  # overrides survive


def test_bad_file_falls_back_to_the_last_good(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.load()
    assert (s.state_dir / LAST_GOOD).exists()
    s.path.write_text("[acd\nbroken")  # type: ignore[union-attr]
    config, why = ConfigStore(s.path, s.state_dir).load_or_last_good()
    assert config.site.name == "sim-desk"
    assert why is not None and "not valid TOML" in why
    (s.state_dir / LAST_GOOD).unlink()
    with pytest.raises(ConfigError, match="not valid TOML"):
        ConfigStore(s.path, s.state_dir).load_or_last_good()


def test_desk_agent_must_be_an_agent(tmp_path: Path) -> None:
    s = store(tmp_path, SITE.read_text().replace('desk_agent = "alice"', 'desk_agent = "al"'))
    with pytest.raises(ConfigError) as err:
        s.load()
    assert str(err.value).endswith(
        "site.toml: site.desk_agent: unknown agent 'al' (known: alice, bob, chloe)"
    )


def test_dotted_keys_values_and_redaction() -> None:
    data = {"acd": {"agents": [{"id": "A"}]}, "console": {"token": "x", "port": "p"}}
    assert get_dotted(data, "acd.agents.0.id") == "A"
    assert get_dotted(data, "") == data
    with pytest.raises(KeyError):
        get_dotted(data, "acd.agents.3")
    assert parse_value("30") == 30 and parse_value("true") is True
    assert parse_value('["a", "b"]') == ["a", "b"] and parse_value("break") == "break"
    assert redact(data)["console"] == {"token": "<redacted>", "port": "p"}


def test_core_clock_continues_from_its_base() -> None:
    clock = CoreClock(base=1000.0, speed=10.0)
    first = clock()
    assert first >= 1000.0
    assert clock() >= first  # monotonic
    assert clock.real_seconds_until(first - 5) == 0.0
    assert clock.real_seconds_until(float("inf")) == float("inf")


def test_notifier_sends_datagrams_and_reads_the_watchdog(tmp_path: Path) -> None:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        notifier = Notifier(str(path), "3000000")
        assert notifier.watchdog == 3.0
        notifier.ready("serving 3 agents")
        notifier.stopping()
        assert sock.recv(100) == b"READY=1\nSTATUS=serving 3 agents"
        assert sock.recv(100) == b"STOPPING=1"
        notifier.close()
    silent = Notifier("", "")
    silent.ready("x")  # outside systemd: nothing, no error
    assert not silent.sent and silent.watchdog is None
    gone = Notifier(str(tmp_path / "nobody"), None)
    gone.notify("READY=1")  # a vanished socket is logged, never raised
    assert not gone.sent


def test_every_board_has_valid_service_data() -> None:
    from firmware.service.boarddata import build_hid, load_service_board

    sim = load_service_board("sim")
    assert sim.simulated and sim.hid == "fake" and sim.default_config_path() is not None
    _, headsets = build_hid(sim)
    assert [h.info.serial for h in headsets] == ["SIM-ALICE", "SIM-BOB", "SIM-CHLOE"]
    rpi4 = load_service_board("rpi4")
    assert (rpi4.simulated, rpi4.hid, rpi4.console) == (False, "hidraw", "/dev/ttyGS0")


def test_a_notify_socket_nobody_reads_never_blocks_the_watchdog(tmp_path: Path) -> None:
    """A full notify queue drops watchdog pings instead of stalling the service's loop."""
    path = tmp_path / "notify.sock"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    try:
        notifier = Notifier(str(path), "200000")
        for _ in range(200):  # Linux queues ~10 datagrams per socket by default
            notifier.notify("WATCHDOG=1", wait=0)
        assert 0 < len(notifier.sent) < 64, "pings beyond the receiver's queue are dropped"
        notifier.close()
    finally:
        receiver.close()
