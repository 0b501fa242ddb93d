"""Update bundles: a good one is applied; a bad signature, a truncated upload and a release
that never reports ready all leave the previous release running.

The "service" here is each release's own `bin/deskgate`, started the way systemd would
(NOTIFY_SOCKET set) and judged ready only when it sends READY=1 over the datagram socket,
as `Type=notify` does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.update import bundle
from firmware.update.__main__ import apply_spool
from firmware.update.releases import Releases, UpdateError
from host_tools.installer.update import DirectoryTarget, upload

EPOCH = 1_700_000_000
READY = """#!{python}
import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\\nSTATUS=release {version}", os.environ["NOTIFY_SOCKET"])
time.sleep(60)
"""
NEVER_READY = """#!{python}
import time
time.sleep(60)
"""


class NotifyControl:
    """Runs `<base>/current/bin/deskgate` with a NOTIFY_SOCKET and waits for READY=1."""

    def __init__(self, base: Path, sock_dir: Path) -> None:
        self.base = base
        self.path = sock_dir / "notify.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.started: list[str] = []

    def restart(self) -> None:
        self.stop()
        self.path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        exe = self.base / "current" / "bin" / "deskgate"
        self.started.append(str((self.base / "current").resolve().name))
        self.proc = subprocess.Popen([str(exe)], env={"NOTIFY_SOCKET": str(self.path)})

    def wait_ready(self, timeout: float) -> bool:
        assert self.sock is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                if b"READY=1" in self.sock.recv(4096):
                    return True
            except TimeoutError:
                return False
        return False

    def running(self) -> str | None:
        """The release whose process is alive (None if it died)."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        return self.started[-1]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        if self.sock is not None:
            self.sock.close()


def release_tree(tmp: Path, version: str, script: str) -> Path:
    tree = tmp / f"tree-{version}"
    (tree / "bin").mkdir(parents=True)
    exe = tree / "bin" / "deskgate"
    exe.write_text(script.format(python=sys.executable, version=version))
    exe.chmod(0o755)
    (tree / "lib").mkdir()
    (tree / "lib" / "VERSION").write_text(version + "\n")
    return tree


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def gateway(tmp_path: Path, key: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    """/opt/deskgate with release 1.0 installed and running."""
    base = tmp_path / "opt"
    (base / "releases").mkdir(parents=True)
    control = NotifyControl(base, tmp_path)
    releases = Releases(base, control)
    first = tmp_path / "v1.bundle"
    first.write_bytes(bundle.make(release_tree(tmp_path, "1.0", READY), "1.0", key, EPOCH))
    releases.install(first, [key.public_key()])
    (base / "current").symlink_to("releases/1.0")
    control.restart()
    assert control.wait_ready(10)
    yield releases, control
    control.stop()


def make_bundle(tmp: Path, key: Ed25519PrivateKey, version: str, script: str = READY) -> Path:
    path = tmp / f"{version}.bundle"
    path.write_bytes(bundle.make(release_tree(tmp, version, script), version, key, EPOCH))
    return path


def test_good_bundle_is_applied(gateway, tmp_path: Path, key: Ed25519PrivateKey) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    new = make_bundle(tmp_path, key, "2.0")
    version = releases.install(new, [key.public_key()])
    releases.activate(version, ready_timeout=10)
    assert (releases.current(), releases.previous()) == ("2.0", "1.0")
    assert control.running() == "2.0"
    assert not releases.trial_marker.exists()
    assert (releases.dir / "2.0/lib/VERSION").read_text() == "2.0\n"


def test_bad_signature_changes_nothing(gateway, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    stranger = Ed25519PrivateKey.generate()
    trusted = Ed25519PrivateKey.generate()
    new = make_bundle(tmp_path, stranger, "2.0")
    with pytest.raises(UpdateError, match="bad signature"):
        releases.install(new, [trusted.public_key()])
    assert releases.current() == "1.0" and control.running() == "1.0"
    assert sorted(p.name for p in releases.dir.iterdir()) == ["1.0"]


def test_flipped_payload_bit_is_refused(gateway, tmp_path: Path, key: Ed25519PrivateKey) -> None:  # type: ignore[no-untyped-def]
    releases, _ = gateway
    new = make_bundle(tmp_path, key, "2.0")
    data = bytearray(new.read_bytes())
    data[-10] ^= 0x01
    new.write_bytes(bytes(data))
    with pytest.raises(UpdateError, match="SHA-256 differs"):
        releases.install(new, [key.public_key()])
    assert releases.current() == "1.0"


def test_truncated_bundle_changes_nothing(gateway, tmp_path: Path, key: Ed25519PrivateKey) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    new = make_bundle(tmp_path, key, "2.0")
    new.write_bytes(new.read_bytes()[:-100])
    with pytest.raises(UpdateError, match=r"truncated: payload has \d+ of \d+ bytes"):
        releases.install(new, [key.public_key()])
    head_only = make_bundle(tmp_path, key, "2.1")
    head_only.write_bytes(head_only.read_bytes()[:40])
    with pytest.raises(UpdateError, match="truncated inside the header"):
        releases.install(head_only, [key.public_key()])
    assert releases.current() == "1.0" and control.running() == "1.0"


def test_never_ready_release_is_rolled_back(
    gateway, tmp_path: Path, key: Ed25519PrivateKey
) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    new = make_bundle(tmp_path, key, "2.0", NEVER_READY)
    version = releases.install(new, [key.public_key()])
    with pytest.raises(
        UpdateError, match=r"2.0 did not report ready within 1 s; rolled back to 1.0, running"
    ):
        releases.activate(version, ready_timeout=1)
    assert releases.current() == "1.0"
    assert control.started[-2:] == ["2.0", "1.0"] and control.running() == "1.0"
    assert (releases.dir / "2.0" / "FAILED").exists()
    assert not releases.trial_marker.exists()


def test_reboot_during_trial_is_checked_at_boot(
    gateway, tmp_path: Path, key: Ed25519PrivateKey
) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    version = releases.install(make_bundle(tmp_path, key, "2.0", NEVER_READY), [key.public_key()])
    # Power cut after the switch: marker and links on disk, nothing confirmed.
    releases.trial_marker.write_text('{"version": "2.0"}')
    releases._point("previous", "1.0")
    releases._point("current", version)
    control.restart()  # the boot starts the service from `current`
    with pytest.raises(UpdateError, match=r"after boot; rolled back to 1\.0"):
        releases.check_after_boot(ready_timeout=1)
    assert releases.current() == "1.0" and control.running() == "1.0"


def test_spool_upload_resumes_and_the_updater_applies_it(
    gateway, tmp_path: Path, key: Ed25519PrivateKey
) -> None:  # type: ignore[no-untyped-def]
    releases, control = gateway
    spool = tmp_path / "spool" / "incoming"
    spool.mkdir(parents=True)
    new = make_bundle(tmp_path, key, "2.0")
    target = DirectoryTarget(spool)
    # An earlier upload was cut halfway: the .part is resumed (appending from 0 would
    # leave a file of the wrong size, which upload() refuses to rename).
    full = new.read_bytes()
    name = upload(new, target, progress=False)
    (spool / name).rename(spool / name.replace(".bundle", ".part"))
    with (spool / name.replace(".bundle", ".part")).open("r+b") as f:
        f.truncate(len(full) // 2)
    assert upload(new, target, progress=False) == name
    assert (spool / name).read_bytes() == full
    assert apply_spool(spool, releases, [key.public_key()], ready_timeout=10) == 0
    assert releases.current() == "2.0" and control.running() == "2.0"
    assert list(spool.iterdir()) == []
    assert '"ok": true' in (spool.parent / "last-result.json").read_text()


def test_upload_refuses_an_incomplete_bundle_before_sending(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    new = make_bundle(tmp_path, key, "2.0")
    new.write_bytes(new.read_bytes()[:-1])
    spool = tmp_path / "spool"
    spool.mkdir()
    with pytest.raises(bundle.BundleError, match="truncated"):
        upload(new, DirectoryTarget(spool), progress=False)
    assert list(spool.iterdir()) == []


def test_payload_escaping_the_release_directory_is_refused(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    tree = release_tree(tmp_path, "3.0", READY)
    (tree / "lib" / "evil").symlink_to("../../../etc")
    path = tmp_path / "evil.bundle"
    path.write_bytes(bundle.make(tree, "3.0", key, EPOCH))
    manifest = bundle.verify(path, [key.public_key()])
    with pytest.raises(bundle.BundleError, match="points outside the release"):
        bundle.extract(path, manifest, tmp_path / "out")
