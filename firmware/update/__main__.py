"""The gateway's updater (deskgate-update.service, deskgate-update-check.service).

    python -m firmware.update apply --spool DIR --releases /opt/deskgate --keys DIR
    python -m firmware.update check --releases /opt/deskgate

`apply` takes every complete `*.bundle` in the spool (uploads arrive as `*.part` and are
renamed when whole), oldest first: verify, install beside, switch, wait for ready, else roll
back. The outcome of each goes to stdout (the journal) and `<spool>/../last-result.json`
(`gwctl` reads it back); the bundle is deleted either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from firmware.update.bundle import BundleError, load_public
from firmware.update.releases import Releases, SystemdControl, UpdateError


def trusted_keys(directory: Path) -> list[Ed25519PublicKey]:
    """Every `*.pub` in the keys directory (64 hex digits each); bad files are reported."""
    keys = []
    for path in sorted(directory.glob("*.pub")) if directory.is_dir() else []:
        try:
            keys.append(load_public(path.read_text(encoding="utf-8")))
        except (OSError, BundleError) as exc:
            print(f"deskgate-update: ignoring key {path}: {exc}", file=sys.stderr)
    return keys


def apply_spool(
    spool: Path, releases: Releases, keys: list[Ed25519PublicKey], ready_timeout: float
) -> int:
    status = 0
    for bundle in sorted(spool.glob("*.bundle"), key=lambda p: p.stat().st_mtime):
        result: dict[str, object] = {"bundle": bundle.name, "at": int(time.time())}
        try:
            version = releases.install(bundle, keys)
            releases.activate(version, ready_timeout)
            result |= {"ok": True, "running": version}
            print(f"deskgate-update: {bundle.name}: {version} running")
        except UpdateError as exc:
            status = 1
            result |= {"ok": False, "error": str(exc), "running": releases.current()}
            print(f"deskgate-update: {bundle.name}: {exc}", file=sys.stderr)
        finally:
            bundle.unlink(missing_ok=True)
        (spool.parent / "last-result.json").write_text(json.dumps(result) + "\n", "utf-8")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware.update")
    sub = parser.add_subparsers(dest="action", required=True)
    a = sub.add_parser("apply", help="install the bundles waiting in the spool")
    a.add_argument("--spool", type=Path, required=True)
    a.add_argument("--keys", type=Path, required=True, help="directory of trusted *.pub keys")
    c = sub.add_parser("check", help="confirm or roll back a release on trial after boot")
    for p in (a, c):
        p.add_argument("--releases", type=Path, default=Path("/opt/deskgate"))
        p.add_argument("--ready-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    releases = Releases(args.releases, SystemdControl())
    if args.action == "apply":
        return apply_spool(args.spool, releases, trusted_keys(args.keys), args.ready_timeout)
    try:
        print(f"deskgate-update: {releases.check_after_boot(args.ready_timeout)}")
    except UpdateError as exc:
        print(f"deskgate-update: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
