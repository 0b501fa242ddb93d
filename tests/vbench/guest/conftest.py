"""Guest-side fixtures of the virtual bench (runs inside QEMU only; see tests/vbench/conftest.py).

The devices are real kernel devices: the composite USB gadget (board/vbench/gadget.py) seen
by the guest's own USB host through dummy_hcd, snd-aloop, uinput. Measurements are collected
in `measurements` and written to $DESKGATE_VBENCH_OUT/measurements.json for the host to print;
nothing here asserts a real-time deadline (the emulator's timing says nothing about a Pi's).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vbench.guest.devices import hidraw_of, vgadget, wait_until

OUT = Path(os.environ.get("DESKGATE_VBENCH_OUT", "/tmp/vbench-out"))

MEASUREMENTS: dict[str, Any] = {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if MEASUREMENTS and OUT.is_dir():
        (OUT / "measurements.json").write_text(json.dumps(MEASUREMENTS, indent=1, sort_keys=True))


@pytest.fixture(scope="session")
def measurements() -> dict[str, Any]:
    return MEASUREMENTS


@pytest.fixture(scope="session")
def gadget_spec() -> Iterator[vgadget.GadgetSpec]:
    """The headset gadget, built and bound once for the session (unbound at the end)."""
    spec = vgadget.load()
    vgadget.up(spec)
    node = wait_until(lambda: hidraw_of(spec.serial), 60)
    assert node, "the gadget headset never appeared as a hidraw device"
    assert wait_until(lambda: Path("/dev/ttyACM0").exists() and Path("/dev/ttyGS0").exists(), 30)
    yield spec
    vgadget.down(spec)


@pytest.fixture(scope="session")
def headset_end(gadget_spec: vgadget.GadgetSpec) -> Iterator[vgadget.HeadsetEnd]:
    end = vgadget.HeadsetEnd(gadget_spec)
    yield end
    end.close()


@pytest.fixture
def plugged(gadget_spec: vgadget.GadgetSpec, headset_end: vgadget.HeadsetEnd) -> vgadget.HeadsetEnd:
    """The headset plugged in and enumerated, with no stale output reports waiting."""
    vgadget.bind(gadget_spec)
    assert wait_until(lambda: hidraw_of(gadget_spec.serial), 60)
    headset_end.drain()
    return headset_end


@pytest.fixture(scope="session")
def uinput_leds() -> Iterator[Any]:
    from tests.vbench.guest.devices import make_leds

    ui = make_leds()
    yield ui
    ui.close()


@pytest.fixture(scope="session")
def uinput_button() -> Iterator[Any]:
    from tests.vbench.guest.devices import make_button

    ui = make_button()
    yield ui
    ui.close()
