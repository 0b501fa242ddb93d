"""systemd units: `systemd-analyze verify` accepts each of them in a minimal root, and the
service unit's sandbox scores at most 2.5 in `systemd-analyze security --offline=true`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT_DIR = REPO / "systemd"
UNITS = sorted(p.name for p in UNIT_DIR.iterdir() if p.suffix in (".service", ".path"))
MAX_EXPOSURE = 2.5
# What the units run, as it is on the image (stubs are enough: verify checks they exist
# and are executable).
EXECUTABLES = (
    "opt/deskgate/current/bin/deskgate",
    "opt/deskgate/current/bin/python",
    "sbin/modprobe",
)


def analyze() -> str:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze missing: `make test` installs the Debian package systemd"
    return tool


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A minimal root: the host's own system units (for the targets and mounts ours order
    against), our units in /etc, stub executables, the board environment file."""
    root = tmp_path_factory.mktemp("root")
    system = Path("/usr/lib/systemd/system")
    if not system.is_dir():
        system = Path("/lib/systemd/system")
    shutil.copytree(system, root / "usr/lib/systemd/system", symlinks=True)
    etc = root / "etc/systemd/system"
    etc.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(UNIT_DIR / name, etc / name)
    for exe in EXECUTABLES:
        path = root / exe
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    (root / "etc/deskgate").mkdir()
    (root / "etc/deskgate/board.env").write_text("DESKGATE_BOARD=rpi4\n")
    return root


def verify(root: Path, unit: str) -> str:
    out = subprocess.run(
        [analyze(), "verify", f"--root={root}", unit], capture_output=True, text=True
    )
    return f"exit {out.returncode}\n{out.stdout}{out.stderr}".strip()


def test_the_expected_units_exist() -> None:
    assert {
        "deskgate.service",
        "deskgate-firstboot.service",
        "deskgate-gadget.service",
        "deskgate-update.path",
        "deskgate-update.service",
        "deskgate-update-check.service",
    } <= set(UNITS)


@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies(root: Path, unit: str) -> None:
    # verify exits 0 on unknown keys (it only warns), so any output at all is a failure.
    assert verify(root, unit) == "exit 0"


def test_verify_would_catch_a_typo(root: Path, tmp_path: Path) -> None:
    bad = root / "etc/systemd/system/deskgate-typo.service"
    bad.write_text((UNIT_DIR / "deskgate.service").read_text().replace("Type=", "Typo=", 1))
    try:
        assert "Unknown key 'Typo'" in verify(root, "deskgate-typo.service")
    finally:
        bad.unlink()


def exposure(root: Path, unit: str) -> float:
    out = subprocess.run(
        [analyze(), "security", "--offline=true", f"--root={root}", "--no-pager", unit],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout)
    assert match, out.stdout + out.stderr
    return float(match.group(1))


def test_service_sandbox_scores_at_most_2_5(root: Path) -> None:
    score = exposure(root, "deskgate.service")
    print(f"\nsystemd-analyze security --offline=true deskgate.service: {score}")
    assert score <= MAX_EXPOSURE


def test_service_unit_keeps_what_the_service_contract_needs() -> None:
    text = (UNIT_DIR / "deskgate.service").read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "User=deskgate",
        "ProtectSystem=strict",
        "DevicePolicy=closed",
        "StateDirectory=deskgate",
        "ExecStart=/opt/deskgate/current/bin/deskgate run --board ${DESKGATE_BOARD}",
    ):
        assert line in text, line
    # PrivateDevices=yes would hide the very nodes DeviceAllow= grants.
    assert "PrivateDevices=" not in text
