"""Netstrings (`<length>:<bytes>,`), the framing of baresip's ctrl_tcp.

`encode(payload)` frames one payload; `NetstringDecoder.feed(data)` returns the payloads
completed by `data`, in order, and keeps a partial frame for the next call. A malformed
stream raises `NetstringError`, naming the stream offset and what was expected; the decoder
is then unusable (the connection has to be dropped: a byte stream cannot resynchronise).
"""

from __future__ import annotations

MAX_PAYLOAD = 1 << 20  # 1 MiB: baresip's largest message (a listcalls) is a few kB
_MAX_DIGITS = len(str(MAX_PAYLOAD))


class NetstringError(ValueError):
    """The byte stream is not a sequence of netstrings."""


def encode(payload: bytes) -> bytes:
    """One netstring. Raises NetstringError above MAX_PAYLOAD."""
    if len(payload) > MAX_PAYLOAD:
        raise NetstringError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return b"%d:%s," % (len(payload), payload)


class NetstringDecoder:
    """Incremental decoder; `offset` counts the bytes consumed so far (for error messages)."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self.offset = 0
        self._buf = bytearray()
        self._broken: NetstringError | None = None

    def feed(self, data: bytes) -> list[bytes]:
        if self._broken is not None:
            raise self._broken
        self._buf += data
        out: list[bytes] = []
        try:
            while True:
                payload = self._next()
                if payload is None:
                    return out
                out.append(payload)
        except NetstringError as exc:
            self._broken = exc
            raise

    def _next(self) -> bytes | None:
        buf = self._buf
        stop = next((i for i, b in enumerate(buf[: _MAX_DIGITS + 1]) if not 48 <= b <= 57), None)
        if stop is None:
            if len(buf) > _MAX_DIGITS:
                raise NetstringError(
                    f"offset {self.offset}: a length of more than {_MAX_DIGITS} digits"
                )
            return None  # only digits so far
        if buf[stop] != 0x3A or stop == 0:
            raise NetstringError(
                f"offset {self.offset + stop}: expected a decimal length then ':', "
                f"got {bytes(buf[stop : stop + 1])!r}"
            )
        colon = stop
        digits = bytes(buf[:colon])
        if len(digits) > 1 and digits[0] == 48:
            raise NetstringError(
                f"offset {self.offset}: expected a decimal length without leading zeros, "
                f"got {digits!r}"
            )
        length = int(digits)
        if length > self.max_payload:
            raise NetstringError(
                f"offset {self.offset}: length {length} exceeds the limit of {self.max_payload}"
            )
        end = colon + 1 + length
        if len(buf) <= end:
            return None
        if buf[end] != 0x2C:
            raise NetstringError(
                f"offset {self.offset + end}: expected ',' after {length} bytes, "
                f"got {bytes(buf[end : end + 1])!r}"
            )
        payload = bytes(buf[colon + 1 : end])
        del buf[: end + 1]
        self.offset += end + 1
        return payload
