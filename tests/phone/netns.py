"""Running `netns_calls` in a private network namespace, or saying exactly why not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

TOOLS = {"baresip": "baresip-core", "sipp": "sip-tester", "ip": "iproute2", "unshare": "util-linux"}


def unavailable() -> str | None:
    """Why real calls cannot run here (None when they can)."""
    missing = [
        f"{tool} (Debian package {pkg})" for tool, pkg in TOOLS.items() if not shutil.which(tool)
    ]
    if missing:
        return "missing: " + ", ".join(missing) + " — `make test` installs them when run as root"
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if probe.returncode != 0:
        why = probe.stderr.strip() or f"exit status {probe.returncode}"
        return f"cannot create a private network namespace with `unshare -n` ({why}); run as root"
    return None


def run_calls(tmp: Path, calls: int, mode: str = "normal", timeout: float = 60) -> dict[str, Any]:
    """One `netns_calls` run; raises AssertionError with its output when it fails."""
    out = tmp / f"result-{calls}-{mode}.json"
    cmd = [
        "unshare", "-n", sys.executable, "-m", "tests.phone.netns_calls",
        "--calls", str(calls), "--mode", mode, "--out", str(out), "--workdir", str(tmp / "work"),
    ]  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        cmd, cwd=root, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert proc.returncode == 0, f"netns_calls failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(out.read_text())
    return result
