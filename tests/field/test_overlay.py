"""The board overlay compiles with dtc and applies (fdtoverlay) onto a base tree shaped like
Debian's bcm2711-rpi-4-b.dtb — built without `dtc -@`, so with no /__symbols__ — once
`dtbsymbols` has added the labels symbols.toml lists; the result has the LEDs, key and USB
mode board.toml expects."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from firmware.provisioning import dtbsymbols

REPO = Path(__file__).resolve().parents[2]
OVERLAY = REPO / "board/rpi4/overlays/deskgate.dts"
SYMBOLS = REPO / "board/rpi4/overlays/symbols.toml"
# As in Debian's DTB: the GPIO controller has a phandle (others refer to it), the USB
# controller none, and no labels survive compilation.
BASE = """/dts-v1/;
/ {
    compatible = "raspberrypi,4-model-b", "brcm,bcm2711";
    #address-cells = <1>;
    #size-cells = <1>;
    soc {
        gpio@7e200000 { compatible = "brcm,bcm2711-gpio"; reg = <0x7e200000 0xb4>;
                        gpio-controller; #gpio-cells = <2>; phandle = <6>; };
        usb@7e980000 { compatible = "brcm,bcm2835-usb"; reg = <0x7e980000 0x10000>;
                       dr_mode = "otg"; };
    };
};
"""


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} missing: `make test` installs the Debian package device-tree-compiler"
    return path


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("dt")
    out = run(tool("dtc"), "-@", "-I", "dts", "-O", "dtb", "-o", str(tmp / "o.dtbo"), str(OVERLAY))
    assert out.returncode == 0 and out.stderr == "", out.stderr
    (tmp / "base.dts").write_text(BASE)
    boot = tmp / "boot"
    boot.mkdir()
    dtb = boot / "bcm2711-rpi-4-b.dtb"
    out = run(tool("dtc"), "-I", "dts", "-O", "dtb", "-o", str(dtb), str(tmp / "base.dts"))
    assert out.returncode == 0, out.stderr
    overlay = str(tmp / "o.dtbo")
    unpatched = run(tool("fdtoverlay"), "-i", str(dtb), "-o", str(tmp / "x.dtb"), overlay)
    assert unpatched.returncode != 0, "the base tree should not resolve `gpio` by itself"
    assert dtbsymbols.main([str(SYMBOLS), str(boot)]) == 0
    patched = dtb.read_bytes()
    assert dtbsymbols.main([str(SYMBOLS), str(boot)]) == 0
    assert dtb.read_bytes() == patched, "a second run must leave the DTB alone"
    out = run(tool("fdtoverlay"), "-i", str(dtb), "-o", str(tmp / "m.dtb"), overlay)
    assert out.returncode == 0, out.stderr
    out = run(tool("dtc"), "-I", "dtb", "-O", "dts", str(tmp / "m.dtb"))
    assert out.returncode == 0, out.stderr
    return out.stdout


def node(dts: str, name: str) -> str:
    match = re.search(rf"\b{re.escape(name)} {{(.*?)\n\t*}};", dts, re.S)
    assert match, f"no node {name} in the merged tree"
    return match.group(1)


def test_overlay_compiles_without_warnings(merged: str) -> None:
    assert "deskgate-leds" in merged


def test_ready_led_is_a_gpio_led_active_high_on_gpio_17(merged: str) -> None:
    ready = node(merged, "ready")
    assert 'label = "deskgate:green:ready"' in ready
    assert re.search(r"gpios = <0x[0-9a-f]+ 0x11 0x00>", ready), ready


def test_withdrawn_led_pin_is_left_to_libgpiod(merged: str) -> None:
    # board.toml drives GPIO 27 itself (active low); a kernel driver claiming it would break
    # that, so the overlay's LED node for it stays disabled.
    withdrawn = node(merged, "withdrawn")
    assert 'status = "disabled"' in withdrawn
    assert re.search(r"gpios = <0x[0-9a-f]+ 0x1b 0x01>", withdrawn)  # 27, active low
    board = tomllib.loads((REPO / "board/rpi4/board.toml").read_text())
    gpio = next(i for i in board["indicators"] if i["name"] == "withdrawn")
    assert (gpio["backend"], gpio["line"], gpio["active_low"]) == ("gpio", 27, True)


def test_state_button_is_gpio_keys_with_the_name_board_toml_uses(merged: str) -> None:
    keys = node(merged, "deskgate-keys")
    board = tomllib.loads((REPO / "board/rpi4/board.toml").read_text())
    assert f'label = "{board["button"]["device"]}"' in keys
    state = node(merged, "state")
    assert "linux,code = <0x94>" in state  # KEY_PROG1 = 148
    assert re.search(r"gpios = <0x[0-9a-f]+ 0x16 0x01>", state)  # GPIO 22, active low


def test_usb_c_port_becomes_a_peripheral(merged: str) -> None:
    usb = node(merged, "usb@7e980000")
    assert 'dr_mode = "peripheral"' in usb and 'dr_mode = "otg"' not in usb


def test_pins_are_pulled_and_muxed(merged: str) -> None:
    key_pins = node(merged, "deskgate_key_pins")
    assert "brcm,pins = <0x16>" in key_pins and "brcm,pull = <0x02>" in key_pins


def test_symbols_point_at_nodes_of_the_tree(merged: str) -> None:
    assert 'gpio = "/soc/gpio@7e200000"' in node(merged, "__symbols__")


def test_a_file_that_is_not_a_dtb_is_refused() -> None:
    with pytest.raises(dtbsymbols.DtbError, match="bad magic"):
        dtbsymbols.add_symbols(b"\0" * 64, {"gpio": "/soc"})
