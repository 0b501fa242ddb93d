"""Releases side by side under /opt/deskgate, switched atomically, rolled back by themselves.

    /opt/deskgate/releases/<version>/   one installed release each (a virtual environment)
    /opt/deskgate/current  -> releases/<version>     what deskgate.service runs
    /opt/deskgate/previous -> releases/<version>     where a rollback goes
    /opt/deskgate/trial                               JSON while a new release is on trial

Switching is `rename(2)` of a fresh symlink over `current`: a power cut leaves the old link
or the new one. The trial marker is written before the switch and removed only once the
service has reported ready, so a gateway that reboots during the trial is checked again at
boot (`deskgate-update-check.service`) and rolled back if the new release never gets ready.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from firmware.update.bundle import BundleError, extract, verify


class UpdateError(RuntimeError):
    """An update was refused or rolled back; the message says why and what now runs."""


class ServiceControl(Protocol):
    """Restarts the gateway service and tells whether it reported ready in time."""

    def restart(self) -> None: ...

    def wait_ready(self, timeout: float) -> bool: ...


class SystemdControl:
    """deskgate.service under systemd: `Type=notify`, so `active` means READY=1 was sent;
    it must then stay active for `settle` seconds (a crash right after ready fails too)."""

    def __init__(self, unit: str = "deskgate.service", settle: float = 10.0) -> None:
        self.unit = unit
        self.settle = settle

    def _state(self) -> str:
        out = subprocess.run(
            ["systemctl", "show", "-p", "ActiveState", "--value", self.unit],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def restart(self) -> None:
        subprocess.run(["systemctl", "restart", "--no-block", self.unit], check=True)

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        active_since: float | None = None
        while time.monotonic() < deadline:
            state = self._state()
            now = time.monotonic()
            if state == "active":
                active_since = active_since or now
                if now - active_since >= self.settle:
                    return True
            else:
                active_since = None
            time.sleep(0.5)
        return False


class Releases:
    """The release directory of one gateway (`base` is /opt/deskgate on the image)."""

    def __init__(self, base: Path, control: ServiceControl) -> None:
        self.base = base
        self.dir = base / "releases"
        self.control = control

    @property
    def trial_marker(self) -> Path:
        return self.base / "trial"

    def _link(self, name: str) -> str | None:
        try:
            return os.readlink(self.base / name).removeprefix("releases/")
        except OSError:
            return None

    def current(self) -> str | None:
        return self._link("current")

    def previous(self) -> str | None:
        return self._link("previous")

    def _point(self, name: str, version: str) -> None:
        tmp = self.base / f".{name}.new"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(f"releases/{version}")
        os.replace(tmp, self.base / name)
        fd = os.open(self.base, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def install(self, bundle: Path, keys: Iterable[Ed25519PublicKey]) -> str:
        """Verify and unpack beside the running release. Returns the version. Nothing that
        runs is touched: a failure leaves only a removed staging directory behind."""
        try:
            manifest = verify(bundle, keys)
        except BundleError as exc:
            raise UpdateError(f"refused: {exc}") from None
        version = manifest.version
        if version == self.current():
            raise UpdateError(f"refused: {version} is the running release")
        staging = self.dir / f".staging-{version}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            extract(bundle, manifest, staging)
            if (staging / "wheels").is_dir():
                self._build_venv(staging, version)
        except (BundleError, OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise UpdateError(f"refused: cannot install {version}: {exc}") from None
        target = self.dir / version
        if target.exists():
            shutil.rmtree(target)  # a failed earlier attempt at the same version
        os.rename(staging, target)
        return version

    def _build_venv(self, staging: Path, version: str) -> None:
        # The venv is created at its final path, so its scripts' #! lines are right after the
        # rename; pip reads only the bundle's wheels (no network on the gateway).
        final = self.dir / version
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True)
        pip = staging / "bin" / "pip"
        subprocess.run(
            [
                str(pip),
                "install",
                "-q",
                "--no-index",
                "--find-links",
                str(staging / "wheels"),
                "deskgate",
            ],
            check=True,
        )
        for script in (staging / "bin").iterdir():
            if script.is_file() and not script.is_symlink():
                text = script.read_bytes()
                if text.startswith(b"#!" + str(staging).encode()):
                    script.write_bytes(text.replace(str(staging).encode(), str(final).encode(), 1))
        shutil.rmtree(staging / "wheels")

    def activate(self, version: str, ready_timeout: float) -> None:
        """Switch to `version`, restart, and keep it only if the service reports ready in
        time; otherwise switch back by itself and raise UpdateError."""
        old = self.current()
        self.trial_marker.write_text(
            json.dumps({"version": version, "previous": old, "started": time.time()}),
            encoding="utf-8",
        )
        if old is not None:
            self._point("previous", old)
        self._point("current", version)
        self.control.restart()
        if self.control.wait_ready(ready_timeout):
            self.commit()
            return
        self.rollback(f"{version} did not report ready within {ready_timeout:g} s")

    def commit(self) -> None:
        """The release on trial is good: drop the marker and every release but two."""
        self.trial_marker.unlink(missing_ok=True)
        keep = {self.current(), self.previous()}
        for release in self.dir.iterdir():
            if release.name not in keep and not release.name.startswith("."):
                shutil.rmtree(release, ignore_errors=True)

    def rollback(self, why: str) -> None:
        """Back to the previous release; raises UpdateError saying why and what runs now."""
        failed = self.current()
        old = self.previous()
        if old is None or old == failed:
            self.trial_marker.unlink(missing_ok=True)
            raise UpdateError(f"{why}; no previous release to go back to")
        self._point("current", old)
        self.control.restart()
        self.trial_marker.unlink(missing_ok=True)
        if failed is not None:
            (self.dir / failed / "FAILED").write_text(why + "\n", encoding="utf-8")
        ready = self.control.wait_ready(60.0)
        state = "running" if ready else "restarted (not ready yet)"
        raise UpdateError(f"{why}; rolled back to {old}, {state}")

    def check_after_boot(self, ready_timeout: float) -> str:
        """At boot with a trial marker: confirm the release on trial or roll it back."""
        if not self.trial_marker.exists():
            return "no update on trial"
        version = self.current()
        if self.control.wait_ready(ready_timeout):
            self.commit()
            return f"{version} confirmed"
        self.rollback(f"{version} did not report ready within {ready_timeout:g} s after boot")
        return "unreachable"
