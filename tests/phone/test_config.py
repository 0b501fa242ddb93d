"""`[phone]` validation and the baresip files generated from it."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.config.phone import PhoneConfig
from firmware.phone.baresip_config import Line, plan_lines, render_accounts, render_config

SITE = {
    "acd": {
        "queues": [{"name": "sales"}, {"name": "support"}],
        "agents": [{"id": "alice", "queues": ["sales"]}],
    },
}


def test_no_phone_section_means_no_phone_line() -> None:
    assert parse_config(SITE, "site.toml").phone is None


def test_phone_section_parses_with_defaults() -> None:
    cfg = parse_config({**SITE, "phone": {"address": "192.0.2.10", "lines": {"sales": 3}}}, "s")
    assert cfg.phone is not None
    assert cfg.phone.lines_for("sales") == 3 and cfg.phone.lines_for("support") == 2
    assert cfg.phone.codecs == ("G722", "PCMU", "PCMA")


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        (
            {"address": "127.0.0.1"},
            "phone.address: 127.0.0.1 cannot carry calls: baresip leaves it out of its SDP",
        ),
        ({"address": "gateway.local"}, "phone.address: 'gateway.local': not an IP address"),
        (
            {"address": "192.0.2.1", "codecs": ["OPUS"]},
            "phone.codecs: codecs must be a non-empty list of G722, PCMU, PCMA",
        ),
        (
            {"address": "192.0.2.1", "ctrl_port": 20010},
            "phone: sip_port, ctrl_port and rtp_ports must not overlap",
        ),
        (
            {"address": "192.0.2.1", "lines": {"sales": 0}},
            "phone.lines: sales: lines must be 1..64, got 0",
        ),
        (
            {"address": "192.0.2.1", "seats": {"alice": {"source": "alsa", "player": "alsa,x"}}},
            "phone.seats.alice.source: 'alsa': expected module,device",
        ),
        (
            {"address": "192.0.2.1", "trunk": "sip:pbx"},
            "phone.trunk: trunk must be a sip: URI containing {number}",
        ),
        (
            {"address": "192.0.2.1", "sip_prot": 5061},
            "phone.sip_prot: unknown key (check the spelling)",
        ),
    ],
)
def test_bad_phone_sections_name_key_and_reason(phone: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({**SITE, "phone": phone}, "site.toml")
    assert str(err.value).startswith(f"site.toml: {message}")


def test_lines_are_one_account_per_simultaneous_call() -> None:
    phone = PhoneConfig(address="192.0.2.10", lines={"sales": 2}, default_lines=1)
    assert plan_lines(phone, ["sales", "support"]) == [
        Line("sales", 1, "sip:sales-1@192.0.2.10"),
        Line("sales", 2, "sip:sales-2@192.0.2.10"),
        Line("support", 1, "sip:support-1@192.0.2.10"),
    ]
    v6 = PhoneConfig(address="2001:db8::1", sip_port=5070, default_lines=1)
    assert plan_lines(v6, ["q"])[0].aor == "sip:q-1@[2001:db8::1]:5070"


def test_accounts_file() -> None:
    phone = PhoneConfig(address="192.0.2.10", codecs=("G722", "PCMA"), default_lines=1)
    text = render_accounts(phone, plan_lines(phone, ["sales"]))
    assert text.splitlines()[1] == (
        "<sip:sales-1@192.0.2.10>;regint=0;answermode=manual;audio_codecs=G722/16000/1,PCMA/8000/1"
        ";audio_source=aubridge,line-sales-1;audio_player=aubridge,line-sales-1"
    )


def test_config_file_binds_control_to_localhost_and_limits_each_line_to_one_call() -> None:
    phone = PhoneConfig(address="192.0.2.10", ctrl_port=4555, rtp_ports=(30000, 30099))
    rows = dict(line.split(None, 1) for line in render_config(phone).splitlines()[1:])
    assert rows["ctrl_tcp_listen"] == "127.0.0.1:4555"
    assert rows["sip_listen"] == "192.0.2.10:5060"
    assert rows["call_max_calls"] == "1"
    assert rows["rtp_ports"] == "30000-30099"
    assert rows["audio_source"] == "aubridge,idle"  # clocked and silent, never an ALSA null
    text = render_config(phone)
    for module in ("g722.so", "g711.so", "aubridge.so", "ctrl_tcp.so", "account.so", "menu.so"):
        assert module in text
