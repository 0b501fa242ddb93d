"""Signed update bundles: one file, verified completely before anything is replaced.

Layout (all integers big-endian):

    magic      b"DGBUNDLE1\\n"                       10 bytes
    length     u32: size of the manifest            4 bytes
    manifest   UTF-8 JSON: format, version, created, payload_size, payload_sha256, key_id
    signature  Ed25519 over magic + manifest        64 bytes
    payload    tar.gz of the release tree           payload_size bytes

The signature covers the manifest and the manifest pins the payload's size and SHA-256, so a
bad signature, a truncated upload, a payload swapped or flipped bit each fail `verify()` with
a message that says which. A release tree is either ready to run (`bin/deskgate`) or carries
`wheels/` from which the gateway builds its virtual environment offline.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import re
import struct
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"DGBUNDLE1\n"
FORMAT = 1
SIG_SIZE = 64
MAX_MANIFEST = 64 * 1024
CHUNK = 1024 * 1024
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


class BundleError(ValueError):
    """A bundle that must not be installed; the message says what is wrong and where."""


@dataclass(frozen=True)
class Manifest:
    """What a bundle claims, once its signature has been checked."""

    version: str
    created: int
    payload_size: int
    payload_sha256: str
    key_id: str
    payload_offset: int


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the raw public key: names the key in messages."""
    return public_hex(public)[:16]


def public_hex(public: Ed25519PublicKey) -> str:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def load_public(text: str) -> Ed25519PublicKey:
    """A public key as 64 hex digits (the form provisioning and key files use)."""
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))
    except ValueError:
        raise BundleError("not an Ed25519 public key (64 hex digits expected)") from None


def load_private(text: str) -> Ed25519PrivateKey:
    """A private key as 64 hex digits (the raw 32-byte seed)."""
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text.strip()))
    except ValueError:
        raise BundleError("not an Ed25519 private key (64 hex digits expected)") from None


def _tar_release(tree: Path, epoch: int) -> bytes:
    """The release tree as a reproducible tar.gz (sorted, owner 0, mtimes clamped)."""
    buf = io.BytesIO()

    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = min(int(info.mtime), epoch)
        return info

    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(tree.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(tree)), recursive=False, filter=clean)
    return buf.getvalue()


def make(tree: Path, version: str, key: Ed25519PrivateKey, epoch: int) -> bytes:
    """A signed bundle of the release tree `tree`."""
    if not VERSION_RE.match(version):
        raise BundleError(f"version {version!r}: letters, digits and . + _ - only")
    if not (tree / "bin" / "deskgate").exists() and not (tree / "wheels").is_dir():
        raise BundleError(f"{tree}: a release holds bin/deskgate or wheels/")
    payload = _tar_release(tree, epoch)
    manifest = json.dumps(
        {
            "format": FORMAT,
            "version": version,
            "created": epoch,
            "payload_size": len(payload),
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "key_id": key_id(key.public_key()),
        },
        sort_keys=True,
    ).encode()
    signature = key.sign(MAGIC + manifest)
    return MAGIC + struct.pack(">I", len(manifest)) + manifest + signature + payload


def read_manifest(path: Path, keys: Iterable[Ed25519PublicKey] | None) -> Manifest:
    """Check magic, manifest and signature (not yet the payload). Raises BundleError.

    `keys=None` skips the signature: only for the laptop's completeness check before an
    upload (the installer may not hold the key); the gateway always passes its keys."""
    with path.open("rb") as f:
        head = f.read(len(MAGIC) + 4)
        if len(head) < len(MAGIC) + 4 or head[: len(MAGIC)] != MAGIC:
            raise BundleError(f"{path.name}: not a deskgate bundle (bad magic at offset 0)")
        (length,) = struct.unpack(">I", head[len(MAGIC) :])
        if length > MAX_MANIFEST:
            raise BundleError(f"{path.name}: manifest length {length} at offset 10 is too big")
        manifest = f.read(length)
        signature = f.read(SIG_SIZE)
    if len(manifest) != length or len(signature) != SIG_SIZE:
        raise BundleError(f"{path.name}: truncated inside the header")
    if keys is not None:
        _check_signature(path, signature, manifest, list(keys))
    try:
        data = json.loads(manifest)
        result = Manifest(
            version=str(data["version"]),
            created=int(data["created"]),
            payload_size=int(data["payload_size"]),
            payload_sha256=str(data["payload_sha256"]),
            key_id=str(data["key_id"]),
            payload_offset=len(MAGIC) + 4 + length + SIG_SIZE,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{path.name}: signed manifest is malformed: {exc}") from None
    if data.get("format") != FORMAT or not VERSION_RE.match(result.version):
        raise BundleError(f"{path.name}: unsupported format or version in the manifest")
    return result


def _check_signature(
    path: Path, signature: bytes, manifest: bytes, trusted: list[Ed25519PublicKey]
) -> None:
    if not trusted:
        raise BundleError("no update keys are trusted on this gateway")
    for public in trusted:
        try:
            public.verify(signature, MAGIC + manifest)
            return
        except InvalidSignature:
            continue
    raise BundleError(
        f"{path.name}: bad signature (signed by none of the {len(trusted)} trusted key(s))"
    )


def verify(path: Path, keys: Iterable[Ed25519PublicKey] | None) -> Manifest:
    """Check the whole bundle: signature, then payload size and SHA-256. Raises BundleError."""
    manifest = read_manifest(path, keys)
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        f.seek(manifest.payload_offset)
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    if size < manifest.payload_size:
        raise BundleError(
            f"{path.name}: truncated: payload has {size} of {manifest.payload_size} bytes"
        )
    if size > manifest.payload_size:
        raise BundleError(f"{path.name}: {size - manifest.payload_size} bytes after the payload")
    if digest.hexdigest() != manifest.payload_sha256:
        raise BundleError(f"{path.name}: payload SHA-256 differs from the signed manifest")
    return manifest


def extract(path: Path, manifest: Manifest, dest: Path) -> None:
    """Unpack a verified bundle's payload into `dest` (must not exist). Refuses absolute
    paths, `..`, links leaving the tree and device files."""
    with path.open("rb") as f:
        f.seek(manifest.payload_offset)
        payload = f.read(manifest.payload_size)
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            name = PurePosixPath(m.name)
            if name.is_absolute() or ".." in name.parts:
                raise BundleError(f"payload member {m.name!r} leaves the release directory")
            if not (m.isfile() or m.isdir() or m.issym()):
                raise BundleError(f"payload member {m.name!r} is not a file, directory or link")
            if m.issym() and not m.linkname.startswith("/"):
                # Absolute links are allowed: a venv's bin/python points at /usr/bin/python3.
                target = posixpath.normpath(str(name.parent / m.linkname))
                if target == ".." or target.startswith("../"):
                    raise BundleError(f"payload link {m.name!r} points outside the release")
        dest.mkdir(parents=True)
        if hasattr(tarfile, "fully_trusted_filter"):  # Python >= 3.11.4: members checked above
            tar.extractall(dest, members=members, filter="fully_trusted")
        else:
            tar.extractall(dest, members=members)
