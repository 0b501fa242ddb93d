"""Give Debian's Raspberry Pi device trees the labels our overlay refers to.

Debian builds its DTBs without `dtc -@`, so they carry no `/__symbols__` node and the
firmware cannot resolve an overlay's `<&gpio …>` (the `dtoverlay=deskgate` line would be
ignored and the LEDs and button would not appear). This adds `/__symbols__` entries for the
labels a board lists (`board/<name>/overlays/symbols.toml`) to the DTBs on the boot
partition — at image build, and from a kernel hook after each kernel or firmware update,
since Debian's raspi-firmware hook copies fresh DTBs each time. Pure Python (the gateway
has no dtc); a DTB that already has the symbols is left byte-for-byte alone.

    python -m firmware.provisioning.dtbsymbols SYMBOLS.toml BOOTDIR
"""

from __future__ import annotations

import struct
import sys
import tomllib
from pathlib import Path

MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9
HEADER = struct.Struct(">10I")


class DtbError(ValueError):
    """Not a flattened device tree we can edit; the message names the file and offset."""


def _align(n: int) -> int:
    return (n + 3) & ~3


def _nodes(struct_block: bytes) -> tuple[int, set[str]]:
    """Offset of the root node's END_NODE token and the names of root's children."""
    pos, depth, children = 0, 0, set()
    while pos < len(struct_block):
        (token,) = struct.unpack_from(">I", struct_block, pos)
        if token == BEGIN_NODE:
            end = struct_block.index(b"\0", pos + 4)
            if depth == 1:
                children.add(struct_block[pos + 4 : end].decode())
            depth += 1
            pos = _align(end + 1)
        elif token == END_NODE:
            depth -= 1
            if depth == 0:
                return pos, children
            pos += 4
        elif token == PROP:
            length, _ = struct.unpack_from(">II", struct_block, pos + 4)
            pos = _align(pos + 12 + length)
        elif token == NOP:
            pos += 4
        else:
            raise DtbError(f"unexpected token {token} at structure offset {pos}")
    raise DtbError("no end of the root node")


def add_symbols(blob: bytes, symbols: dict[str, str]) -> bytes:
    """`blob` with a `/__symbols__` node holding `symbols` (label → node path). Raises
    DtbError; returns `blob` unchanged when the node already exists."""
    if len(blob) < HEADER.size:
        raise DtbError("shorter than a DTB header")
    (magic, _total, off_struct, off_strings, off_rsv, version, last_comp, boot_cpu,
     size_strings, size_struct) = HEADER.unpack_from(blob)  # fmt: skip
    if magic != MAGIC:
        raise DtbError(f"bad magic {magic:#x} at offset 0")
    if version < 17:
        raise DtbError(f"DTB version {version} (17 needed)")
    struct_block = blob[off_struct : off_struct + size_struct]
    strings = bytearray(blob[off_strings : off_strings + size_strings])
    root_end, children = _nodes(struct_block)
    if "__symbols__" in children:
        return blob
    node = bytearray(struct.pack(">I", BEGIN_NODE) + b"__symbols__\0")
    node += b"\0" * (_align(len(node)) - len(node))
    for label, path in symbols.items():
        name = label.encode() + b"\0"
        offset = strings.find(name)  # a shared tail of another name is a valid offset too
        if offset < 0:
            offset = len(strings)
            strings += name
        value = path.encode() + b"\0"
        node += struct.pack(">III", PROP, len(value), offset) + value
        node += b"\0" * (_align(len(node)) - len(node))
    node += struct.pack(">I", END_NODE)
    new_struct = struct_block[:root_end] + bytes(node) + struct_block[root_end:]
    if not off_rsv <= off_struct:
        raise DtbError("memory reservation map after the structure block")
    # Layout written: header, reservation map (kept as is), structure, strings.
    head = blob[HEADER.size : off_struct]
    off_strings2 = off_struct + len(new_struct)
    total2 = off_strings2 + len(strings)
    header = HEADER.pack(MAGIC, total2, off_struct, off_strings2, off_rsv, version,
                         last_comp, boot_cpu, len(strings), len(new_struct))  # fmt: skip
    return header + head + new_struct + bytes(strings)


def patch_dir(symbols_file: Path, boot: Path) -> list[str]:
    """Patch the DTBs the symbols file names, if present in `boot`. Returns what changed."""
    data = tomllib.loads(symbols_file.read_text(encoding="utf-8"))
    symbols = {str(k): str(v) for k, v in data["symbols"].items()}
    changed = []
    for name in data["dtbs"]:
        path = boot / str(name)
        if not path.exists():
            continue
        blob = path.read_bytes()
        patched = add_symbols(blob, symbols)
        if patched != blob:
            tmp = path.with_name(path.name + ".new")
            tmp.write_bytes(patched)
            tmp.replace(path)
            changed.append(path.name)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m firmware.provisioning.dtbsymbols SYMBOLS.toml BOOTDIR",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        changed = patch_dir(Path(args[0]), Path(args[1]))
    except (OSError, KeyError, DtbError, tomllib.TOMLDecodeError) as exc:
        print(f"deskgate-dtb: {exc}", file=sys.stderr)
        return 1
    for name in changed:
        print(f"deskgate-dtb: added overlay symbols to {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
