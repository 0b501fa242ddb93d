"""ctrl_tcp messages of baresip 1.0.0 as typed values: commands out, responses and events in.

Measured on Debian's baresip-core 1.0.0 (docs/phone.md has the transcripts):
- command  `{"command": "uafind", "params": "sip:sales-1@192.0.2.10", "token": "7"}`
- response `{"response": true, "ok": true, "data": "ua: sip:...\\n", "token": "7"}`
- event    `{"event": true, "class": "call", "type": "CALL_INCOMING", "accountaor": "sip:...",
  "direction": "incoming", "peeruri": "sip:...", "id": "<SIP Call-ID>", "param": "..."}`
  `CALL_CLOSED`'s `param` is the reason: "Connection reset by peer" (a BYE came in),
  "Connection reset by user" (we hung up), "Request terminated" or a SIP status text.

`decode(payload)` raises `ProtocolError` for anything that is not one of those shapes; call
events are checked field by field so that SIP garbage (an over-long or non-printable Call-ID,
an unknown account) never reaches the ACD.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_FIELD = 512
_PRINTABLE = re.compile(r"^[\x21-\x7e]{1,128}$")


class ProtocolError(ValueError):
    """A ctrl_tcp message that is not JSON of the expected shape."""


@dataclass(frozen=True, slots=True)
class Response:
    """The reply to one command, matched by `token`."""

    token: str
    ok: bool
    data: str


@dataclass(frozen=True, slots=True)
class CallEvent:
    """A call event of one account (`aor`); `call_id` is the SIP Call-ID."""

    type: str
    aor: str
    call_id: str
    direction: str
    peer: str
    param: str


@dataclass(frozen=True, slots=True)
class OtherEvent:
    """Any other event (REGISTER_OK, SHUTDOWN, CALL_LOCAL_SDP, ...): logged, never acted on."""

    type: str


Message = Response | CallEvent | OtherEvent


def encode_command(command: str, params: str | None, token: str) -> bytes:
    """The JSON payload of one command (frame it with `netstring.encode`)."""
    if not re.match(r"^[a-z_]{2,20}$", command):
        raise ProtocolError(f"not a baresip command name: {command!r}")
    body: dict[str, str] = {"command": command, "token": token}
    if params is not None:
        if "\n" in params or "\r" in params or len(params) > MAX_FIELD:
            raise ProtocolError(f"{command}: parameters must be one short line")
        body["params"] = params
    return json.dumps(body, separators=(",", ":")).encode()


def _text(obj: dict[str, Any], key: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r}: expected a string, got {type(value).__name__}")
    if len(value) > MAX_FIELD * 8:
        raise ProtocolError(f"{key!r}: {len(value)} characters is too long")
    return value


def decode(payload: bytes) -> Message:
    """One ctrl_tcp payload. Raises ProtocolError (the message says what is wrong)."""
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError(f"expected a JSON object, got {type(obj).__name__}")
    if obj.get("response") is True:
        ok = obj.get("ok")
        if not isinstance(ok, bool):
            raise ProtocolError("response without a boolean 'ok'")
        return Response(_text(obj, "token", ""), ok, _text(obj, "data", ""))
    if obj.get("event") is True:
        etype = _text(obj, "type")
        if obj.get("class") != "call" or not etype.startswith("CALL_"):
            return OtherEvent(etype)
        return CallEvent(
            etype,
            _text(obj, "accountaor"),
            _text(obj, "id"),
            _text(obj, "direction", ""),
            _text(obj, "peeruri", ""),
            _text(obj, "param", ""),
        )
    raise ProtocolError("neither a response nor an event")


def acd_call_id(sip_call_id: str) -> str:
    """The ACD call id of a SIP call: the Call-ID itself when it is short and printable (so
    journal and SIP traces match), else a digest. Never starts with '#' (reserved)."""
    if _PRINTABLE.match(sip_call_id) and not sip_call_id.startswith("#"):
        return sip_call_id
    digest = hashlib.sha1(sip_call_id.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return f"sip-{digest}"
