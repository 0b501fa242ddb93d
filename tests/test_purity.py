"""The pure cores must import no hardware library (DESIGN.md 1, rule 1).

Each core is imported in a fresh interpreter, so nothing another test loaded can hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HARDWARE_MODULES = (
    "hid",
    "hidraw",
    "pyaudio",
    "serial",
    "evdev",
    "gpiod",
    "pyudev",
    "sqlite3",
    "soxr",
)

# Add each pure core here as it lands.
PURE_CORES = (
    "firmware.acd.core",
    "firmware.acd.params",
    "firmware.acd.stats",
    "firmware.acd.status_table",
    "firmware.audio.frames",
    "firmware.audio.stages",
    "firmware.audio.policy",
    "firmware.audio.backend",
    "firmware.audio.gate",
    "firmware.config.audio",
    "firmware.hid.descriptor",
    "firmware.hid.controls",
    "firmware.hid.report",
    "firmware.hid.handshake",
    "firmware.indicators.patterns",
    "firmware.indicators.softblink",
    "firmware.indicators.busylight.reports",
    "firmware.indicators.busylight.models",
    "firmware.buttons.classifier",
    "firmware.buttons.rules",
    "firmware.console.protocol",
    "firmware.provisioning.spec",
    "firmware.update.bundle",
    "firmware.phone.netstring",
    "firmware.phone.protocol",
    "firmware.phone.baresip_config",
    "firmware.config.phone",
)


@pytest.mark.parametrize("module", PURE_CORES)
def test_pure_core_imports_no_hardware_library(module: str) -> None:
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{list(HARDWARE_MODULES)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [], f"{module} pulled in hardware libraries"
