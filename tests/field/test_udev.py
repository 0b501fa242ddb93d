"""udev rules: udev itself accepts every line, and each rule gives access to exactly the
devices it is meant for (docs/field.md has the review table)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from firmware.indicators.busylight.models import MODELS
from tests.field.udevrules import Device, RuleSyntaxError, apply, parse

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "udev"
RULE_FILES = sorted(RULES_DIR.glob("*.rules"))


def all_rules() -> list:
    return [rule for path in RULE_FILES for rule in parse(path)]


def hidraw(vendor: int, product: int, interfaces: str) -> Device:
    """A hidraw node of a USB device whose interfaces are `interfaces` (usb_id's format)."""
    usb = Device("usb", "1-1.3", {"idVendor": f"{vendor:04x}", "idProduct": f"{product:04x}"})
    hid = Device("hid", "0003:0B0E:24C9.0001", {"driver": "hid-generic"})
    iface = Device("usb", "1-1.3:1.3", {"bInterfaceClass": "03"})
    return Device(
        "hidraw",
        "hidraw2",
        parents=[hid, iface, usb],
        builtins={
            "usb_id": {"ID_USB_INTERFACES": interfaces, "ID_VENDOR_ID": f"{vendor:04x}"},
            "path_id": {"ID_PATH_TAG": "platform-fd500000_pcie-usb-0_1_3_1_3"},
        },
    )


def test_rule_files_are_the_installed_set() -> None:
    names = {p.name for p in RULE_FILES}
    assert names == {
        "70-deskgate-busylights.rules",
        "70-deskgate-console.rules",
        "70-deskgate-headsets.rules",
        "70-deskgate-leds.rules",
    }
    layer = (REPO / "board/common/image/layer.toml").read_text(encoding="utf-8")
    for name in names:
        assert f'"udev/{name}"' in layer, f"{name} is not installed by the image layer"


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_every_rule_parses_and_none_opens_to_everyone(path: Path) -> None:
    rules = parse(path)
    assert rules, f"{path.name} has no rules"
    for rule in rules:
        for key in rule.keys:
            if key.name == "MODE":
                assert key.value in ("0660", "0640", "0600"), f"{path.name}:{rule.line} MODE"
            if key.name == "GROUP":
                assert key.value == "deskgate", f"{path.name}:{rule.line}: group {key.value}"


def test_parser_rejects_malformed_rules(tmp_path: Path) -> None:
    # udev 252 accepts a missing comma silently; newer udev warns: we refuse it.
    bad = tmp_path / "bad.rules"
    bad.write_text('KERNEL=="x" GROUP="deskgate"\n')
    with pytest.raises(RuleSyntaxError, match="cannot parse"):
        parse(bad)
    bad.write_text('SUBSYSTEM=="tty", GRUOP="deskgate"\n')
    with pytest.raises(RuleSyntaxError, match="GRUOP"):
        parse(bad)


def test_udevadm_reads_every_rule_without_complaint(tmp_path: Path) -> None:
    """`udevadm test` parses the rule files as udev will (it reports errors but exits 0, and
    bookworm's udev has no `udevadm verify`): run it in a private mount namespace with our
    rules and a group file that has `deskgate`, and require no diagnostic for our files."""
    udevadm = shutil.which("udevadm")
    assert udevadm, "udevadm missing: `make test` installs the Debian package udev"
    rules = tmp_path / "rules.d"
    rules.mkdir()
    for path in RULE_FILES:
        shutil.copy(path, rules / path.name)
    (rules / "99-canary.rules").write_text('KERNEL=="null", BADKEY="1"\n')
    group = tmp_path / "group"
    group.write_text(Path("/etc/group").read_text() + "deskgate:x:990:\n")
    script = (
        f"mount --bind {rules} /etc/udev/rules.d && mount --bind {group} /etc/group && "
        f"exec {udevadm} test --action=add /sys/devices/virtual/mem/null"
    )
    prefix = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        prefix.insert(1, "--map-root-user")
    out = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True)
    text = out.stdout + out.stderr
    if "Operation not permitted" in text and "unshare" in text:
        pytest.skip("no mount namespace here (unprivileged user namespaces are disabled)")
    ours = [line for line in text.splitlines() if "70-deskgate-" in line and "Reading" not in line]
    assert ours == [], "udev complains about our rules:\n" + "\n".join(ours)
    # The canary proves the complaints are visible to this test at all.
    assert "99-canary.rules:1 Invalid key 'BADKEY'" in text


def test_telephony_headset_hidraw_goes_to_the_service_group_with_a_stable_name() -> None:
    # Jabra Link 380c: audio control + streaming + HID interfaces.
    result = apply(all_rules(), hidraw(0x0B0E, 0x24C9, ":010100:010200:030000:"))
    assert (result.group, result.mode) == ("deskgate", "0660")
    assert result.symlinks == ["deskgate/headset/platform-fd500000_pcie-usb-0_1_3_1_3"]
    assert "systemd" in result.tags
    assert result.env["SYSTEMD_WANTS"] == "deskgate.service"


@pytest.mark.parametrize(
    ("what", "interfaces"),
    [
        ("keyboard", ":030101:030102:"),
        ("mouse", ":030102:"),
        ("FIDO key", ":030000:"),
    ],
)
def test_hid_devices_without_audio_are_left_alone(what: str, interfaces: str) -> None:
    result = apply(all_rules(), hidraw(0x046D, 0xC31C, interfaces))
    assert result.group is None and result.mode is None, what
    assert result.symlinks == [] and "systemd" not in result.tags


def test_headset_rules_do_nothing_on_remove() -> None:
    result = apply(all_rules(), hidraw(0x0B0E, 0x24C9, ":010100:030000:"), action="remove")
    assert result.group is None


@pytest.mark.parametrize(
    ("vendor", "product"), [ids for m in MODELS for ids in m.usb_ids], ids=lambda v: f"{v:04x}"
)
def test_every_supported_busylight_gets_the_service_group(vendor: int, product: int) -> None:
    result = apply(all_rules(), hidraw(vendor, product, ":030000:"))
    assert (result.group, result.mode) == ("deskgate", "0660")


def test_an_unlisted_hid_device_is_not_a_busylight() -> None:
    result = apply(all_rules(), hidraw(0x04D8, 0x0001, ":030000:"))
    assert result.group is None


def test_console_gadget_port_is_named_and_restricted() -> None:
    result = apply(all_rules(), Device("tty", "ttyGS0"))
    assert (result.group, result.mode) == ("deskgate", "0660")
    assert result.symlinks == ["deskgate-console"]
    assert apply(all_rules(), Device("tty", "ttyS1")).group is None


def test_board_leds_get_the_timer_trigger_and_group_write() -> None:
    led = Device("leds", "deskgate:green:ready", devpath="/devices/platform/deskgate-leds/leds/x")
    result = apply(all_rules(), led)
    assert result.attrs_written == {"trigger": "timer", "delay_on": "0"}
    assert any(
        "chgrp deskgate" in r and "/sys/devices/platform/deskgate-leds" in r for r in result.run
    )
    assert apply(all_rules(), Device("leds", "mmc0::")).run == []


def test_state_button_and_gpio_chip() -> None:
    button = Device(
        "input", "event3", parents=[Device("input", "input3", {"name": "deskgate-state"})]
    )
    result = apply(all_rules(), button)
    assert (result.group, result.symlinks) == ("deskgate", ["input/deskgate-state"])
    other = Device("input", "event0", parents=[Device("input", "input0", {"name": "AT keyboard"})])
    assert apply(all_rules(), other).group is None
    assert apply(all_rules(), Device("gpio", "gpiochip0")).group == "deskgate"
