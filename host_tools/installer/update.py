"""`gwctl update FILE --to TARGET`: check a signed bundle here, then upload it, resumably.

    gwctl update deskgate-0.2.0.bundle --to ssh:root@desk-12 [--key KEYHEX]
    gwctl update deskgate-0.2.0.bundle --to /mnt/spool          # a local or mounted spool

The bundle is checked before a byte leaves the laptop (complete, payload matching its signed
manifest; with --key also the signature). It lands in the gateway's spool as
`<version>-<sha>.part`: an interrupted upload resumes from the bytes already there, a `.part`
from another bundle is never appended to. Only a complete file is renamed to `.bundle`,
which starts `deskgate-update.service` (signature check, install beside, switch, rollback if
not ready in time).

Release engineering (not for installers):

    python -m host_tools.installer.update keygen KEYFILE          # prints the public key
    python -m host_tools.installer.update make TREE --version V --key KEYFILE -o FILE
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.update.bundle import (
    BundleError,
    load_private,
    load_public,
    make,
    public_hex,
    read_manifest,
    verify,
)
from host_tools.installer.bmap import Progress
from host_tools.installer.command import add_command
from host_tools.installer.errors import fail

SPOOL = "/var/lib/deskgate-update/incoming"
CHUNK = 256 * 1024
HELP = "upload a signed firmware bundle to a gateway (resumable)"


class UploadError(Exception):
    """The upload failed; what is on the gateway is an incomplete `.part` (resumable)."""


class DirectoryTarget:
    """A spool reachable as a directory (a mounted gateway, or tests)."""

    def __init__(self, spool: Path) -> None:
        self.spool = spool

    def size(self, name: str) -> int:
        try:
            return (self.spool / name).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, name: str, chunks: list[bytes]) -> None:
        with (self.spool / name).open("ab") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())

    def finish(self, part: str, final: str) -> None:
        os.replace(self.spool / part, self.spool / final)


class SshTarget:
    """The gateway's spool over SSH (key provisioned with `gwctl provision --ssh-key`)."""

    def __init__(self, host: str, spool: str = SPOOL) -> None:
        self.host = host
        self.spool = spool

    def _ssh(self, command: str, data: bytes | None = None) -> str:
        out = subprocess.run(
            ["ssh", "-o", "BatchMode=yes", self.host, command], input=data, capture_output=True
        )
        if out.returncode != 0:
            raise UploadError(f"ssh {self.host}: {out.stderr.decode(errors='replace').strip()}")
        return out.stdout.decode()

    def size(self, name: str) -> int:
        path = shlex.quote(f"{self.spool}/{name}")
        return int(self._ssh(f"stat -c %s {path} 2>/dev/null || echo 0").strip() or 0)

    def append(self, name: str, chunks: list[bytes]) -> None:
        self._ssh(f"cat >> {shlex.quote(f'{self.spool}/{name}')}", b"".join(chunks))

    def finish(self, part: str, final: str) -> None:
        src, dst = (shlex.quote(f"{self.spool}/{n}") for n in (part, final))
        self._ssh(f"sync {src} && mv {src} {dst}")


Target = DirectoryTarget | SshTarget


def upload(bundle: Path, target: Target, progress: bool | None = None, batch: int = 16) -> str:
    """Send `bundle` (resuming a matching `.part`); returns the final name in the spool."""
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()[:16]
    # Complete and matching its manifest; the gateway checks the signature.
    manifest = verify(bundle, None)
    part = f"{manifest.version}-{digest}.part"
    final = f"{manifest.version}-{digest}.bundle"
    total = bundle.stat().st_size
    offset = target.size(part)
    if offset > total:
        raise UploadError(f"{part} on the gateway is larger than the bundle: remove it")
    bar = Progress("upload", total, progress)
    bar.add(offset)
    with bundle.open("rb") as f:
        f.seek(offset)
        while True:
            chunks = [c for c in (f.read(CHUNK) for _ in range(batch)) if c]
            if not chunks:
                break
            target.append(part, chunks)
            bar.add(sum(len(c) for c in chunks))
    bar.close()
    if target.size(part) != total:
        raise UploadError(f"{part}: {target.size(part)} of {total} bytes arrived; run again")
    target.finish(part, final)
    return final


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", type=Path)
    p.add_argument(
        "--to",
        required=True,
        metavar="ssh:HOST | DIRECTORY",
        help="the gateway over SSH, or a spool directory",
    )
    p.add_argument("--key", help="also check the signature against this public key (hex)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_command(sub, "update", HELP, __doc__ or "", add_arguments, run)


def run(args: argparse.Namespace) -> int:
    """`gwctl update`: prints the spooled name on stdout."""
    debug = getattr(args, "debug", False)
    target: Target = (
        SshTarget(args.to.removeprefix("ssh:"))
        if args.to.startswith("ssh:")
        else DirectoryTarget(Path(args.to))
    )
    try:
        if args.key:
            manifest = read_manifest(args.bundle, [load_public(args.key)])
            print(
                f"signature good: {manifest.version} signed by {manifest.key_id}", file=sys.stderr
            )
        name = upload(args.bundle, target)
    except (BundleError, UploadError, OSError) as exc:
        return fail(exc, debug)
    print(name)
    print(
        "uploaded; the gateway verifies, installs and switches by itself "
        "(last-result.json in the spool's parent says how it went)",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m host_tools.installer.update")
    sub = parser.add_subparsers(dest="action", required=True)
    k = sub.add_parser("keygen", help="new signing key (private key file, 0600)")
    k.add_argument("keyfile", type=Path)
    m = sub.add_parser("make", help="sign a release tree into a bundle")
    m.add_argument("tree", type=Path)
    m.add_argument("--version", required=True)
    m.add_argument("--key", type=Path, required=True, help="private key file from keygen")
    m.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.action == "keygen":
            key = Ed25519PrivateKey.generate()
            from cryptography.hazmat.primitives.serialization import (
                Encoding,
                NoEncryption,
                PrivateFormat,
            )

            raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
            fd = os.open(args.keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(raw + "\n")
            print(public_hex(key.public_key()))
            return 0
        key = load_private(args.key.read_text(encoding="utf-8"))
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
        args.output.write_bytes(make(args.tree, args.version, key, epoch))
        print(args.output)
        return 0
    except (BundleError, OSError) as exc:
        return fail(exc)


if __name__ == "__main__":
    sys.exit(main())
