"""The management protocol codec, shared by the gateway's console and `gwctl`. Pure: bytes in,
typed messages out, and back; no I/O.

Wire format (one frame per line, so a receiver resynchronises at the next newline whatever
line noise came before):

    frame   = "DG" SP crc SP payload LF
    crc     = CRC-32 (zlib) of the payload bytes, 8 lower-case hex digits
    payload = one compact JSON object, UTF-8 (JSON escapes newlines, so none appear inside)

Messages (the JSON objects):

    request  {"v": 1, "id": 7, "op": "status", "args": {...}, "token": "..."}
    reply    {"id": 7, "ok": true, "result": ...}
             {"id": 7, "ok": false, "error": {"code": "ERR_...", "message": "..."}}
    event    {"id": 7, "event": {...}}          (a `watch` request's stream; id = the watch)

`hello` is the version handshake: `{"op": "hello", "args": {"versions": [1]}}` is answered
with the highest version both ends speak (`ERR_VERSION` if none). A frame the receiver cannot
use (no marker, bad CRC, bad JSON, too long) is answered with an error whose `id` is null:
the client fails the request it was waiting for instead of hanging.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
SUPPORTED_VERSIONS = (1,)
MAX_FRAME = 64 * 1024  # bytes per line, marker and CRC included
MARKER = b"DG "

# Every operation and whether it changes the gateway (then it needs the technician token).
OPS: dict[str, bool] = {
    "hello": False,
    "status": False,
    "watch": False,
    "unwatch": False,
    "hid_list": False,
    "audio_levels": False,
    "config_get": False,
    "logs": False,
    "diag": False,
    "state": True,
    "leds_test": True,
    "config_set": True,
}

# Error codes a reply can carry.
ERR_FRAME = "ERR_FRAME"  # no marker, not hex, too long, not JSON, not an object
ERR_CRC = "ERR_CRC"  # line noise: the checksum does not match
ERR_VERSION = "ERR_VERSION"
ERR_BAD_REQUEST = "ERR_BAD_REQUEST"  # an object that is not a well-formed request
ERR_UNKNOWN_OP = "ERR_UNKNOWN_OP"
ERR_TOKEN = "ERR_TOKEN"  # missing or wrong token for a mutating operation
ERR_NO_TOKEN = "ERR_NO_TOKEN"  # no token provisioned on the gateway: mutations refused
ERR_ARGS = "ERR_ARGS"
ERR_FAILED = "ERR_FAILED"  # the operation itself failed (message says why)
ERR_INTERNAL = "ERR_INTERNAL"


class ProtocolError(ValueError):
    """A frame or message that cannot be used: `code` is the error code a reply carries, the
    message says what was expected and where (byte offset in the line)."""

    def __init__(self, code: str, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    """A client's request: protocol version, id (chosen by the client), operation, arguments
    and the technician token (None when not given)."""

    id: int
    op: str
    args: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    v: int = VERSION

    @property
    def mutating(self) -> bool:
        return OPS.get(self.op, True)

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"v": self.v, "id": self.id, "op": self.op, "args": self.args}
        if self.token is not None:
            obj["token"] = self.token
        return obj


@dataclass(frozen=True)
class Reply:
    """The answer to request `id` (None: to a frame that could not be read). Exactly one of
    `result` (ok) or `error` = (code, message) is meaningful."""

    id: int | None
    ok: bool
    result: Any = None
    error: tuple[str, str] | None = None

    def to_obj(self) -> dict[str, Any]:
        if self.ok:
            return {"id": self.id, "ok": True, "result": self.result}
        code, message = self.error or (ERR_INTERNAL, "no error given")
        return {"id": self.id, "ok": False, "error": {"code": code, "message": message}}

    @classmethod
    def failure(cls, request_id: int | None, code: str, message: str) -> Reply:
        return cls(request_id, False, None, (code, message))


@dataclass(frozen=True)
class Event:
    """One item of a `watch` stream (a journal record or a service notice)."""

    id: int
    event: dict[str, Any]

    def to_obj(self) -> dict[str, Any]:
        return {"id": self.id, "event": self.event}


Message = Request | Reply | Event


def crc_of(payload: bytes) -> str:
    return f"{zlib.crc32(payload) & 0xFFFFFFFF:08x}"


def encode(message: Message) -> bytes:
    """One frame, newline included. Raises ProtocolError (ERR_FRAME) if it would be too long."""
    payload = json.dumps(
        message.to_obj(), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
    frame = MARKER + crc_of(payload).encode("ascii") + b" " + payload + b"\n"
    if len(frame) > MAX_FRAME:
        raise ProtocolError(ERR_FRAME, f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
    return frame


def _peek_id(obj: Any) -> int | None:
    if isinstance(obj, dict):
        rid = obj.get("id")
        if isinstance(rid, int) and not isinstance(rid, bool):
            return rid
    return None


def decode_line(line: bytes) -> Message:
    """Decode one line (without its newline). Raises ProtocolError naming the offset."""
    line = line.rstrip(b"\r")
    if not line.startswith(MARKER):
        raise ProtocolError(ERR_FRAME, f"offset 0: expected the marker 'DG ', got {line[:8]!r}")
    crc, sep, payload = line[3:].partition(b" ")
    if not sep or len(crc) != 8:
        raise ProtocolError(ERR_FRAME, "offset 3: expected 8 hex digits of CRC-32 and a space")
    try:
        want = int(crc, 16)
    except ValueError:
        raise ProtocolError(ERR_FRAME, f"offset 3: CRC {crc!r} is not hex") from None
    if zlib.crc32(payload) & 0xFFFFFFFF != want:
        raise ProtocolError(ERR_CRC, f"offset 12: CRC mismatch over {len(payload)} payload bytes")
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(ERR_FRAME, f"offset 12: payload is not UTF-8 JSON: {exc}") from None
    return message_from_obj(obj)


def message_from_obj(obj: Any) -> Message:
    """Type a decoded JSON object. Raises ProtocolError (ERR_BAD_REQUEST) for a bad shape."""
    rid = _peek_id(obj)
    if not isinstance(obj, dict):
        raise ProtocolError(ERR_BAD_REQUEST, f"payload is a {type(obj).__name__}, not an object")
    if obj.get("ok") is False and obj.get("id", 0) is None:
        pass  # the answer to a frame the other end could not read: id null
    elif rid is None:
        raise ProtocolError(ERR_BAD_REQUEST, "'id' must be an integer")
    if "op" in obj and rid is not None:
        return _request(obj, rid)
    if "event" in obj and rid is not None:
        if not isinstance(obj["event"], dict):
            raise ProtocolError(ERR_BAD_REQUEST, "'event' must be an object", rid)
        return Event(rid, obj["event"])
    if obj.get("ok") is True:
        return Reply(rid, True, obj.get("result"))
    if obj.get("ok") is False:
        err = obj.get("error")
        if not isinstance(err, dict):
            raise ProtocolError(ERR_BAD_REQUEST, "failed reply without 'error'", rid)
        return Reply.failure(rid, str(err.get("code", ERR_INTERNAL)), str(err.get("message", "")))
    raise ProtocolError(ERR_BAD_REQUEST, "object is neither a request, a reply nor an event", rid)


def _request(obj: dict[str, Any], rid: int) -> Request:
    op, args, token, v = obj["op"], obj.get("args", {}), obj.get("token"), obj.get("v")
    if not isinstance(op, str):
        raise ProtocolError(ERR_BAD_REQUEST, "'op' must be a string", rid)
    if not isinstance(args, dict):
        raise ProtocolError(ERR_BAD_REQUEST, "'args' must be an object", rid)
    if token is not None and not isinstance(token, str):
        raise ProtocolError(ERR_BAD_REQUEST, "'token' must be a string", rid)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProtocolError(ERR_BAD_REQUEST, "'v' (protocol version) must be an integer", rid)
    if v not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            ERR_VERSION, f"protocol version {v} not supported (gateway speaks 1)", rid
        )
    return Request(rid, op, args, token, v)


def negotiate(offered: Any) -> int:
    """The highest version in `offered` (a `hello`'s `versions`) that we speak."""
    if not isinstance(offered, list):
        raise ProtocolError(ERR_ARGS, "hello needs 'versions': a list of integers")
    common = [v for v in offered if isinstance(v, int) and v in SUPPORTED_VERSIONS]
    if not common:
        raise ProtocolError(
            ERR_VERSION,
            f"no common protocol version (offered {offered!r}, gateway speaks "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))}): update gwctl or the gateway",
        )
    return max(common)


class FrameDecoder:
    """Splits a byte stream into messages. `feed` returns, in order, each decoded message or
    the `ProtocolError` of each unusable line; it never raises. A line longer than `MAX_FRAME`
    is reported once and skipped up to its newline (memory stays bounded)."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes held waiting for a newline."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message | ProtocolError]:
        out: list[Message | ProtocolError] = []
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self._max:
                    if not self._skipping:
                        out.append(ProtocolError(ERR_FRAME, f"line longer than {self._max} bytes"))
                    self._skipping = True
                    self._buf.clear()
                return out
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._skipping:
                self._skipping = False
                continue
            if not line.strip(b"\r \t\x00"):
                continue  # blank lines (a terminal's Enter) are not frames
            if len(line) > self._max:
                out.append(ProtocolError(ERR_FRAME, f"line longer than {self._max} bytes"))
                continue
            try:
                out.append(decode_line(line))
            except ProtocolError as exc:
                out.append(exc)
