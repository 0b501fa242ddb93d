"""Guest-side helpers of the virtual bench: the gadget module (board/vbench/gadget.py), polling,
and finding the kernel's nodes for our devices."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
BOARD = REPO / "board" / "vbench"
if str(BOARD) not in sys.path:
    sys.path.insert(0, str(BOARD))

import gadget as vgadget  # noqa: E402  (board/vbench/gadget.py: standard library only)

__all__ = [
    "BOARD",
    "LED_LINKS",
    "REPO",
    "hidraw_of",
    "led_events",
    "make_button",
    "make_leds",
    "vgadget",
    "wait_until",
]


def wait_until(predicate: Any, timeout: float, step: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def hidraw_of(serial: str) -> Path | None:
    """The /dev/hidrawN whose USB device has this serial number, if enumerated."""
    for node in sorted(Path("/sys/class/hidraw").glob("hidraw*")):
        uevent = (node / "device" / "uevent").read_text()
        if f"HID_UNIQ={serial}" in uevent:
            return Path("/dev") / node.name
    return None


LED_LINKS = Path("/run/vbench/leds")  # board/vbench/board.toml's LED class root
LED_NAMES = {"ready": "numlock", "withdrawn": "capslock"}  # our name → input-leds suffix


def make_leds() -> Any:
    """A uinput device with two LEDs: the kernel's input-leds handler turns them into LED
    class devices `/sys/class/leds/inputN::numlock|capslock`, linked as `ready` and
    `withdrawn` under LED_LINKS (the LED names of board/vbench/board.toml). Returns the
    UInput, whose fd receives an EV_LED event for every change the LED class makes."""
    from evdev import UInput, ecodes

    ui = UInput({ecodes.EV_LED: [ecodes.LED_NUML, ecodes.LED_CAPSL]}, name="vbench-leds")
    sysfs = Path("/sys/devices/virtual/input")
    node = wait_until(lambda: [p for p in sysfs.glob("input*") if _name(p) == "vbench-leds"], 10)
    assert node, "uinput LED device not in sysfs"
    LED_LINKS.mkdir(parents=True, exist_ok=True)
    for ours, suffix in LED_NAMES.items():
        led = Path("/sys/class/leds") / f"{node[0].name}::{suffix}"
        assert wait_until(led.is_dir, 10), f"{led} missing: input-leds not there?"
        link = LED_LINKS / ours
        link.unlink(missing_ok=True)
        link.symlink_to(led)
    return ui


def _name(input_dir: Path) -> str:
    try:
        return (input_dir / "name").read_text().strip()
    except OSError:
        return ""


def make_button() -> Any:
    """The board's state button: a uinput device named `deskgate-state` with KEY_PROG1."""
    from evdev import UInput, ecodes

    return UInput({ecodes.EV_KEY: [ecodes.KEY_PROG1]}, name="deskgate-state")


def led_events(ui: Any, timeout: float) -> list[tuple[int, int]]:
    """(LED code, value) events the kernel sent to the uinput LED device within `timeout`."""
    import select

    from evdev import ecodes

    out: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([ui.fd], [], [], left)
        if not ready:
            break
        try:
            events = list(ui.read())
        except BlockingIOError:
            continue
        out += [(e.code, e.value) for e in events if e.type == ecodes.EV_LED]
    return out
