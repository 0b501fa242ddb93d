"""HID report descriptor parser: bytes in, a tree of collections and a flat list of fields out.

Pure (no hidapi). It follows the Linux kernel's reading of the item stream, because that is the
kernel our gateway runs and the one whose hidraw reports we decode:

- A 1- or 2-byte Usage takes the Usage Page in force when the Main item (or Collection) is
  processed, not when the Usage was read. So ``Usage(0x07) Usage Page(Button) Input`` inside a
  Telephony collection is Button 7 (hid-tools, Linux and Windows agree; Chromium/WebHID reads
  Telephony Programmable Button 0x0B:0x07). Both readings name the same bit, and
  `firmware.hid.controls` maps both to ``reject_button``.
- A 4-byte Usage carries its own page.
- Constant fields keep their usages (they are not dropped as padding); deciding what a constant
  field with a usage means is left to `firmware.hid.controls`.

Everything a malformed descriptor can do ends in `DescriptorError`, whose message starts with the
byte offset of the item at fault and says what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Limits, as in the Linux kernel's hid-core (HID_MAX_USAGES, report_size > 256, HID_MAX_BUFFER).
MAX_REPORT_SIZE_BITS = 256
MAX_REPORT_COUNT = 12288
MAX_REPORT_BYTES = 16384
MAX_STACK_DEPTH = 16
MAX_COLLECTION_DEPTH = 64

_MAIN_INPUT, _MAIN_OUTPUT, _MAIN_COLLECTION, _MAIN_FEATURE, _MAIN_END = 0x8, 0x9, 0xA, 0xB, 0xC
_DATA_SIZES = (0, 1, 2, 4)

APPLICATION = 0x01  # Collection type of a top-level application collection


class DescriptorError(ValueError):
    """A report descriptor that cannot be read. The message names the byte offset and what was
    expected there, e.g. ``offset 17: End Collection without an open collection``."""

    def __init__(self, offset: int, expected: str) -> None:
        super().__init__(f"offset {offset}: {expected}")
        self.offset = offset


class ReportType(Enum):
    INPUT = "input"
    OUTPUT = "output"
    FEATURE = "feature"


_REPORT_TYPE_OF_TAG = {
    _MAIN_INPUT: ReportType.INPUT,
    _MAIN_OUTPUT: ReportType.OUTPUT,
    _MAIN_FEATURE: ReportType.FEATURE,
}


@dataclass(frozen=True, slots=True)
class Usage:
    """A usage: page (16 bits) and id (16 bits)."""

    page: int
    id: int

    def __str__(self) -> str:
        return f"0x{self.page:04X}:0x{self.id:04X}"


@dataclass(frozen=True, slots=True)
class Collection:
    """One Collection item: its type (1 = Application), usage, parent index and where it starts."""

    index: int
    kind: int
    usage: Usage | None
    parent: int | None
    offset: int


@dataclass(frozen=True, slots=True)
class Field:
    """One Input, Output or Feature main item: `count` values of `size` bits each.

    `bit_offset` counts from the first payload byte of the report (after the report id byte).
    For a variable field, value i has usage ``usages[min(i, len(usages) - 1)]``; for an array
    field the usages are the list the values index into. `collection` is the index of the
    innermost enclosing collection (None outside every collection).
    """

    report_type: ReportType
    report_id: int
    bit_offset: int
    size: int
    count: int
    flags: int
    usages: tuple[Usage, ...]
    logical_min: int
    logical_max: int
    collection: int | None
    offset: int

    @property
    def constant(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def variable(self) -> bool:
        return bool(self.flags & 0x02)

    @property
    def relative(self) -> bool:
        return bool(self.flags & 0x04)

    def usage_at(self, i: int) -> Usage | None:
        """The usage of value `i` of a variable field (the last usage repeats), or None."""
        if not self.usages:
            return None
        return self.usages[min(i, len(self.usages) - 1)]


@dataclass(frozen=True, slots=True)
class ReportDescriptor:
    """A parsed descriptor. `report_bits[(type, id)]` is the payload length in bits (id 0 when
    the descriptor does not number its reports)."""

    collections: tuple[Collection, ...]
    fields: tuple[Field, ...]
    report_bits: dict[tuple[ReportType, int], int]
    numbered: bool

    def report_bytes(self, report_type: ReportType, report_id: int) -> int:
        """Payload length in bytes (excluding the report id byte); 0 for an unknown report."""
        return (self.report_bits.get((report_type, report_id), 0) + 7) // 8

    def top_level(self, collection: int | None) -> int | None:
        """The index of the top-level collection enclosing `collection`."""
        while collection is not None:
            parent = self.collections[collection].parent
            if parent is None:
                return collection
            collection = parent
        return None


@dataclass(slots=True)
class _Globals:
    usage_page: int = 0
    logical_min: int = 0
    logical_max: int = 0
    report_size: int = 0
    report_count: int = 0
    report_id: int = 0

    def copy(self) -> _Globals:
        return _Globals(
            self.usage_page,
            self.logical_min,
            self.logical_max,
            self.report_size,
            self.report_count,
            self.report_id,
        )


def _signed(value: int, nbytes: int) -> int:
    bits = nbytes * 8
    if nbytes and value & (1 << (bits - 1)):
        return value - (1 << bits)
    return value


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.g = _Globals()
        self.stack: list[_Globals] = []
        # Local usages as (explicit page or None, id) plus ranges (page or None, min, max).
        self.usages: list[tuple[int | None, int]] = []
        self.usage_min: tuple[int | None, int] | None = None
        self.collections: list[Collection] = []
        self.open: list[int] = []
        self.fields: list[Field] = []
        self.bits: dict[tuple[ReportType, int], int] = {}
        self.numbered = False

    def run(self) -> ReportDescriptor:
        data, pos = self.data, 0
        while pos < len(data):
            prefix = data[pos]
            if prefix == 0xFE:  # long item: size, tag, data — reserved, skipped
                if pos + 3 > len(data):
                    raise DescriptorError(pos, "a long item's size and tag bytes, found the end")
                size = data[pos + 1]
                if pos + 3 + size > len(data):
                    raise DescriptorError(
                        pos, f"long item needs {size} data byte(s), only {len(data) - pos - 3} left"
                    )
                pos += 3 + size
                continue
            nbytes = _DATA_SIZES[prefix & 0x03]
            if pos + 1 + nbytes > len(data):
                raise DescriptorError(
                    pos,
                    f"item 0x{prefix:02X} needs {nbytes} data byte(s), "
                    f"only {len(data) - pos - 1} left",
                )
            value = int.from_bytes(data[pos + 1 : pos + 1 + nbytes], "little")
            kind, tag = (prefix >> 2) & 0x03, prefix >> 4
            if kind == 0:
                self.main(pos, tag, value)
            elif kind == 1:
                self.global_item(pos, tag, value, nbytes)
            elif kind == 2:
                self.local(pos, tag, value, nbytes)
            else:
                raise DescriptorError(pos, f"item 0x{prefix:02X} has the reserved item type 3")
            pos += 1 + nbytes
        if self.open:
            start = self.collections[self.open[-1]].offset
            raise DescriptorError(
                len(data), f"End Collection for the collection opened at offset {start}"
            )
        return ReportDescriptor(
            tuple(self.collections), tuple(self.fields), dict(self.bits), self.numbered
        )

    def _resolve_usages(self, limit: int) -> tuple[Usage, ...]:
        page = self.g.usage_page
        out: list[Usage] = []
        for explicit, uid in self.usages:
            if len(out) >= limit:
                break
            out.append(Usage(page if explicit is None else explicit, uid))
        return tuple(out)

    def _clear_locals(self) -> None:
        self.usages = []
        self.usage_min = None

    def main(self, pos: int, tag: int, value: int) -> None:
        if tag == _MAIN_COLLECTION:
            if len(self.open) >= MAX_COLLECTION_DEPTH:
                raise DescriptorError(pos, f"at most {MAX_COLLECTION_DEPTH} nested collections")
            usages = self._resolve_usages(1)
            index = len(self.collections)
            parent = self.open[-1] if self.open else None
            self.collections.append(
                Collection(index, value & 0xFF, usages[0] if usages else None, parent, pos)
            )
            self.open.append(index)
        elif tag == _MAIN_END:
            if not self.open:
                raise DescriptorError(pos, "End Collection without an open collection")
            self.open.pop()
        elif tag in _REPORT_TYPE_OF_TAG:
            self.field(pos, _REPORT_TYPE_OF_TAG[tag], value)
        # Other main tags are reserved; the kernel ignores them and so do we.
        self._clear_locals()

    def field(self, pos: int, report_type: ReportType, flags: int) -> None:
        g = self.g
        key = (report_type, g.report_id)
        start = self.bits.get(key, 0)
        end = start + g.report_size * g.report_count
        if end > MAX_REPORT_BYTES * 8:
            raise DescriptorError(
                pos, f"a report of at most {MAX_REPORT_BYTES} bytes (this item makes it longer)"
            )
        self.bits[key] = end
        usages = self._resolve_usages(max(g.report_count, 2))
        self.fields.append(
            Field(
                report_type=report_type,
                report_id=g.report_id,
                bit_offset=start,
                size=g.report_size,
                count=g.report_count,
                flags=flags,
                usages=usages,
                logical_min=g.logical_min,
                logical_max=g.logical_max,
                collection=self.open[-1] if self.open else None,
                offset=pos,
            )
        )

    def global_item(self, pos: int, tag: int, value: int, nbytes: int) -> None:
        g = self.g
        if tag == 0x0:
            g.usage_page = value & 0xFFFF
        elif tag == 0x1:
            g.logical_min = _signed(value, nbytes)
        elif tag == 0x2:
            g.logical_max = _signed(value, nbytes)
        elif tag == 0x7:
            if value > MAX_REPORT_SIZE_BITS:
                raise DescriptorError(pos, f"Report Size of at most {MAX_REPORT_SIZE_BITS} bits")
            g.report_size = value
        elif tag == 0x8:
            if not 1 <= value <= 255:
                raise DescriptorError(pos, f"Report ID between 1 and 255, got {value}")
            if not self.numbered and self.fields:
                raise DescriptorError(pos, "no Report ID after unnumbered main items")
            self.numbered = True
            g.report_id = value
        elif tag == 0x9:
            if value > MAX_REPORT_COUNT:
                raise DescriptorError(pos, f"Report Count of at most {MAX_REPORT_COUNT}")
            g.report_count = value
        elif tag == 0xA:
            if len(self.stack) >= MAX_STACK_DEPTH:
                raise DescriptorError(pos, f"at most {MAX_STACK_DEPTH} nested Push items")
            self.stack.append(g.copy())
        elif tag == 0xB:
            if not self.stack:
                raise DescriptorError(pos, "Pop without a matching Push")
            self.g = self.stack.pop()
        # Physical min/max, unit, unit exponent and reserved tags do not affect decoding.

    def local(self, pos: int, tag: int, value: int, nbytes: int) -> None:
        if tag == 0x0:
            self.usages.append(_split_usage(value, nbytes))
        elif tag == 0x1:
            self.usage_min = _split_usage(value, nbytes)
        elif tag == 0x2:
            if self.usage_min is None:
                raise DescriptorError(pos, "a Usage Minimum before this Usage Maximum")
            page, low = self.usage_min
            _, high = _split_usage(value, nbytes)
            if high < low:
                raise DescriptorError(pos, f"Usage Maximum >= Usage Minimum ({low}), got {high}")
            # Only as many usages as a report can hold are ever looked at.
            room = MAX_REPORT_COUNT - len(self.usages)
            self.usages.extend((page, u) for u in range(low, min(high, low + room - 1) + 1))
            self.usage_min = None
        # Designators, strings and delimiters do not affect decoding.


def _split_usage(value: int, nbytes: int) -> tuple[int | None, int]:
    if nbytes == 4:
        return (value >> 16) & 0xFFFF, value & 0xFFFF
    return None, value


def parse_descriptor(data: bytes) -> ReportDescriptor:
    """Parse raw report descriptor bytes. Raises `DescriptorError`."""
    return _Parser(bytes(data)).run()


def parse_hex_text(text: str) -> bytes:
    """Read descriptor bytes written as hex pairs, with ``#`` comment lines (the format of
    ``shared/hid-descriptors``). Raises `DescriptorError` naming the line for a bad token."""
    out = bytearray()
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0]
        for token in body.replace(",", " ").split():
            token = token.removeprefix("0x").removeprefix("0X")
            if len(token) != 2:
                raise DescriptorError(len(out), f"a hex byte on line {lineno}, got {token!r}")
            try:
                out.append(int(token, 16))
            except ValueError:
                raise DescriptorError(
                    len(out), f"a hex byte on line {lineno}, got {token!r}"
                ) from None
    if not out:
        raise DescriptorError(0, "descriptor bytes, found none")
    return bytes(out)
