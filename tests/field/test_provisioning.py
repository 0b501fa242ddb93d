"""Provisioning: gwctl provision writes what the first boot accepts; the first boot applies it
all, or reports every problem and changes nothing. Also the USB gadget set-up and the image
layers (data only)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from firmware.hid.descriptor import parse_hex_text
from firmware.provisioning import firstboot, gadget
from firmware.provisioning.spec import (
    DONE_FILE,
    ERROR_FILE,
    PROVISION_FILE,
    SITE_FILE,
    Network,
    ProvisioningError,
    provision_text,
    validate,
)
from host_tools.image.layers import LayerError, load_spec
from host_tools.installer import provision

REPO = Path(__file__).resolve().parents[2]
SITE = """
[site]
name = "paris-3-desk-12"
desk_agent = "alice"

[acd]
[[acd.queues]]
name = "sales"

[[acd.agents]]
id = "alice"
queues = ["sales"]
"""
TOKEN = "correct-horse-battery-staple"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdm0tNSxYwzNbWeZmVdR0n5nDq7L8SuZ0Yp tech@laptop"


def good_text(**over: object) -> str:
    args: dict[str, object] = {
        "hostname": "paris-3-desk-12",
        "technician_token": TOKEN,
        "ssh_authorized_keys": [SSH_KEY],
        "update_keys": ["ab" * 32],
        "network": Network("static", "192.0.2.10/24", "192.0.2.1", ("192.0.2.53",)),
    }
    args.update(over)
    return provision_text(**args)  # type: ignore[arg-type]


class Recorder:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, cmd: Sequence[str]) -> None:
        self.commands.append(list(cmd))


def test_a_good_file_validates() -> None:
    prov = validate(good_text(), SITE)
    assert prov.hostname == "paris-3-desk-12" and prov.network.mode == "static"


@pytest.mark.parametrize(
    ("text", "site", "problem"),
    [
        (good_text(hostname="Desk_12"), SITE, "hostname: 'Desk_12'"),
        (good_text(technician_token="short"), SITE, "technician_token"),
        (good_text(ssh_authorized_keys=["not a key"]), SITE, "ssh_authorized_keys[0]"),
        (good_text(update_keys=["xyz"]), SITE, "update_keys[0]: not 64 hex digits"),
        (
            good_text(network=Network("static", "192.0.2.10/24", "198.51.100.1", ("192.0.2.53",))),
            SITE,
            "network.gateway: 198.51.100.1 is not in 192.0.2.0/24",
        ),
        (good_text(), None, f"{SITE_FILE}: missing"),
        (
            good_text(),
            SITE.replace('desk_agent = "alice"', 'desk_agent = "bob"'),
            "unknown agent 'bob'",
        ),
        (good_text(), SITE.replace("queues = [", "queuez = ["), "acd.agents"),
        (good_text() + "hostnme = 'x'\n", SITE, "unknown key(s) hostnme"),
    ],
)
def test_each_problem_is_named(text: str, site: str | None, problem: str) -> None:
    with pytest.raises(ProvisioningError) as err:
        validate(text, site)
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ProvisioningError) as err:
        validate(good_text(hostname="-", technician_token="x"), None)
    assert len(err.value.problems) == 3


def card(tmp_path: Path) -> tuple[Path, Path]:
    boot, root = tmp_path / "boot", tmp_path / "root"
    boot.mkdir()
    (root / "etc/deskgate").mkdir(parents=True)
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "deskgate:x:998:998:deskgate gateway service:/var/lib/deskgate:/usr/sbin/nologin\n"
    )
    return boot, root


def test_gwctl_provision_writes_what_first_boot_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boot, root = card(tmp_path)
    (tmp_path / "site.toml").write_text(SITE)
    (tmp_path / "id.pub").write_text(SSH_KEY + "\n")
    parser = argparse.ArgumentParser()
    provision.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "provision",
            str(boot),
            "--hostname",
            "desk-12",
            "--site",
            str(tmp_path / "site.toml"),
            "--ssh-key",
            str(tmp_path / "id.pub"),
        ]
    )
    assert args.func(args) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 16 and (boot / PROVISION_FILE).stat().st_mode & 0o077 == 0

    runner = Recorder()
    applied = firstboot.apply(firstboot.read(boot), root, runner)
    assert (root / "etc/deskgate/site.toml").read_text() == SITE
    assert (root / "var/lib/deskgate/console.token").read_text() == token + "\n"
    token_stat = (root / "var/lib/deskgate/console.token").stat()
    assert token_stat.st_mode & 0o777 == 0o600
    if os.geteuid() == 0:
        assert (token_stat.st_uid, token_stat.st_gid) == (998, 998)
    assert (root / "etc/hostname").read_text() == "desk-12\n"
    assert "DHCP=yes" in (root / "etc/systemd/network/50-wired.network").read_text()
    assert (root / "root/.ssh/authorized_keys").read_text() == SSH_KEY + "\n"
    assert ["systemctl", f"--root={root}", "enable", "ssh.service"] in runner.commands
    assert not any(token in line for line in applied)


def test_gwctl_provision_refuses_what_the_gateway_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boot, _ = card(tmp_path)
    (tmp_path / "site.toml").write_text(SITE.replace('"alice"\n', '"zed"\n', 1))
    parser = argparse.ArgumentParser()
    provision.register(parser.add_subparsers())
    args = parser.parse_args(
        ["provision", str(boot), "--hostname", "desk-12", "--site", str(tmp_path / "site.toml")]
    )
    assert args.func(args) == 1
    assert "gwctl: the gateway would refuse this" in capsys.readouterr().err
    assert list(boot.iterdir()) == []


def test_first_boot_with_a_bad_file_changes_nothing_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boot, root = card(tmp_path)
    (boot / PROVISION_FILE).write_text(good_text(hostname="Bad Name"))
    (boot / SITE_FILE).write_text(SITE)
    (root / "etc/deskgate/site.toml").write_text("# the previous site\n")
    console = tmp_path / "ttyGS0"
    console.write_text("")
    leds = tmp_path / "leds"
    for name in ("deskgate:green:ready", "mmc0::"):
        (leds / name).mkdir(parents=True)
    status = firstboot.main(
        [
            "--boot",
            str(boot),
            "--root",
            str(root),
            "--console-port",
            str(console),
            "--leds",
            str(leds),
        ]
    )
    assert status == 1
    assert (root / "etc/deskgate/site.toml").read_text() == "# the previous site\n"
    assert not (root / "etc/hostname").exists()
    assert "hostname: 'Bad Name'" in (boot / ERROR_FILE).read_text()
    assert "hostname: 'Bad Name'" in console.read_text()
    assert "provisioning failed" in capsys.readouterr().out
    assert (leds / "deskgate:green:ready/trigger").read_text() == "timer"
    assert (leds / "deskgate:green:ready/delay_on").read_text() == "100"
    assert not (leds / "mmc0::/trigger").exists()
    assert (boot / PROVISION_FILE).exists()  # left for the installer to fix


def test_first_boot_without_any_file_reports_not_provisioned(tmp_path: Path) -> None:
    boot, root = card(tmp_path)
    status = firstboot.main(
        [
            "--boot",
            str(boot),
            "--root",
            str(root),
            "--console-port",
            str(tmp_path / "none"),
            "--leds",
            str(tmp_path / "none"),
        ]
    )
    assert status == 1
    assert "not provisioned" in (boot / ERROR_FILE).read_text()


def test_first_boot_success_removes_the_secrets_from_the_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boot, root = card(tmp_path)
    (boot / PROVISION_FILE).write_text(good_text(ssh_authorized_keys=[]))
    (boot / SITE_FILE).write_text(SITE)
    runner = Recorder()
    monkeypatch.setattr(firstboot, "_run", runner)
    assert firstboot.main(["--boot", str(boot), "--root", str(root)]) == 0
    assert sorted(p.name for p in boot.iterdir()) == [DONE_FILE]
    assert TOKEN not in (boot / DONE_FILE).read_text()
    assert "Address=192.0.2.10/24" in (root / "etc/systemd/network/50-wired.network").read_text()
    assert (root / "etc/deskgate/update-keys/provisioned-0.pub").read_text() == "ab" * 32 + "\n"
    assert ["systemctl", f"--root={root}", "disable", "ssh.service"] in runner.commands


def test_usb_gadget_is_built_from_the_board_data(tmp_path: Path) -> None:
    spec = gadget.load(REPO / "board/rpi4/gadget.toml")
    udc = tmp_path / "udc"
    (udc / "fe980000.usb").mkdir(parents=True)
    root = gadget.up(spec, tmp_path / "configfs", udc)
    assert (root / "idVendor").read_text() == "0x1d6b\n"
    assert (root / "UDC").read_text() == "fe980000.usb\n"
    link = root / "configs/c.1/acm.console"
    assert link.is_symlink() and link.resolve() == (root / "functions/acm.console").resolve()
    assert (root / "strings/0x409/serialnumber").read_text() == "0\n"  # no DT serial here


def test_the_bench_headset_gadget_carries_its_hid_function(tmp_path: Path) -> None:
    """The virtual bench's Jabra-shaped headset goes through the same module."""
    spec = gadget.load(REPO / "board/vbench/gadget.toml")
    configfs, udc = tmp_path / "configfs", tmp_path / "udc"
    (udc / "dummy_udc.0").mkdir(parents=True)
    root = gadget.up(spec, configfs, udc)
    hid = root / "functions/hid.headset"
    descriptor = (REPO / "board/vbench/jabra_link_380c_0b0e-24c9.txt").read_text()
    assert (hid / "report_desc").read_bytes() == parse_hex_text(descriptor)
    assert spec.report_descriptor[:4] == bytes.fromhex("050b0905")  # Telephony, Headset
    assert (hid / "report_length").read_text() == "64\n"
    assert (root / "bDeviceClass").read_text() == "0xef\n"
    assert (root / "strings/0x409/serialnumber").read_text() == "VBENCH-ALICE\n"
    assert sorted(p.name for p in (root / "configs/c.1").iterdir() if p.is_symlink()) == [
        "acm.console",
        "hid.headset",
    ]
    gadget.unbind(spec, configfs)
    assert not gadget.bound(spec, configfs)
    gadget.bind(spec, configfs, udc)
    assert (root / "UDC").read_text() == "dummy_udc.0\n"


def test_a_hid_function_without_its_table_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "gadget.toml"
    bad.write_text(
        'name = "x"\nvendor_id = 1\nproduct_id = 2\nmanufacturer = "m"\n'
        'product = "p"\nfunctions = ["hid.headset"]\n'
    )
    with pytest.raises(gadget.GadgetError, match=r"no \[hid\.headset\] table"):
        gadget.load(bad)


def test_gadget_file_errors_name_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "gadget.toml"
    bad.write_text(
        'name = "x"\nvendor_id = 1\nproduct_id = 2\nmanufacturer = "m"\n'
        'product = "p"\nfunctions = ["ecm.usb0"]\n'
    )
    with pytest.raises(gadget.GadgetError, match=r"ecm\.usb0"):
        gadget.load(bad)


def test_image_layers_merge_and_every_listed_file_exists() -> None:
    spec = load_spec(REPO / "board", "rpi4")
    assert spec.layers == ("common", "rpi4")
    assert "raspi-firmware" in spec.packages and "systemd" in spec.packages
    assert spec.root_label == "RASPIROOT"
    for item in spec.files:
        assert (REPO / item.source).is_file(), item.source
    for dts in spec.overlays:
        assert (REPO / dts).is_file()
    units = {p.name for p in (REPO / "systemd").glob("*.service")} | {
        p.name for p in (REPO / "systemd").glob("*.path")
    }
    installed = {Path(f.dest).name for f in spec.files}
    assert units <= installed, units - installed
    assert "ssh.service" in spec.disable


def test_a_layer_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x/image").mkdir(parents=True)
    (tmp_path / "x/image/layer.toml").write_text('pakages = ["vim"]\n')
    with pytest.raises(LayerError, match="unknown key `pakages`"):
        load_spec(tmp_path, "x")


def test_image_lock_down_leaves_no_password_key_or_machine_id(tmp_path: Path) -> None:
    from host_tools.image import build

    (tmp_path / "etc/ssh").mkdir(parents=True)
    (tmp_path / "var/lib/dbus").mkdir(parents=True)
    (tmp_path / "etc/shadow").write_text("root::20000:0:99999:7:::\ndeskgate:!:20000::::::\n")
    for key in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"):
        (tmp_path / "etc/ssh" / key).write_text("secret")
    (tmp_path / "etc/ssh/sshd_config").write_text("# kept\n")
    (tmp_path / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    build._lock_down(tmp_path)
    shadow = (tmp_path / "etc/shadow").read_text().splitlines()
    assert [line.split(":")[1] for line in shadow] == ["*", "*"]
    assert sorted(p.name for p in (tmp_path / "etc/ssh").iterdir()) == ["sshd_config"]
    assert (tmp_path / "etc/machine-id").read_text() == "uninitialized\n"
