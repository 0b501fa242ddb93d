"""`deskgate hid replay`: run a handshake script against a fake device (DESIGN.md 3).

Input lines are ``{"t": s, "in": "02 01 00"}`` or ``{"t": s, "call": "ring"}``; output lines are
``{"t": s, "event": ...}`` and ``{"t": s, "out": "02 05 00"}``, in the order they happen. The
idle writes at open are printed first with the first line's ``t`` (0 for an empty script).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, cast

from firmware.hid.backend import DeviceInfo
from firmware.hid.fake import FakeHeadset
from firmware.hid.handshake import (
    CALL_COMMANDS,
    CallCommandName,
    Effect,
    FlashPressed,
    HookRequest,
    MuteChanged,
    RejectPressed,
    WriteReport,
)
from firmware.hid.report import ReportError, hex_bytes
from firmware.hid.session import HeadsetSession


class ScriptError(ValueError):
    """A script line that cannot be run; the message starts with ``line N:``."""


def effect_json(t: float, effect: Effect) -> dict[str, Any]:
    """The output-line form of one effect."""
    if isinstance(effect, WriteReport):
        return {"t": t, "out": hex_bytes(effect.data)}
    if isinstance(effect, HookRequest):
        return {"t": t, "event": "hook", "off_hook": effect.off_hook}
    if isinstance(effect, MuteChanged):
        return {"t": t, "event": "mute", "muted": effect.muted}
    if isinstance(effect, FlashPressed):
        return {"t": t, "event": "flash"}
    assert isinstance(effect, RejectPressed)
    return {"t": t, "event": "reject"}


def _parse_line(lineno: int, text: str, last_t: float) -> tuple[float, dict[str, Any]]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptError(f"line {lineno}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ScriptError(f"line {lineno}: expected a JSON object")
    t = obj.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise ScriptError(f"line {lineno}: expected a number 't'")
    if t < last_t:
        raise ScriptError(f"line {lineno}: 't' goes back in time ({t} < {last_t})")
    if ("in" in obj) == ("call" in obj):
        raise ScriptError(f"line {lineno}: expected exactly one of 'in' or 'call'")
    return t, cast(dict[str, Any], obj)


def _parse_hex(lineno: int, value: object) -> bytes:
    if not isinstance(value, str):
        raise ScriptError(f"line {lineno}: 'in' must be a string of hex bytes")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ScriptError(f"line {lineno}: 'in' is not hex bytes: {value!r}") from None


def run_script(
    descriptor: bytes, lines: Iterable[str], echo_window: float = 0.5
) -> Iterator[dict[str, Any]]:
    """Yield output lines. Raises `DescriptorError`, `NotAHeadset` (before any output) or
    `ScriptError`."""
    device = FakeHeadset(DeviceInfo(path="fake://replay", vendor_id=0, product_id=0), descriptor)
    session, opening = HeadsetSession.open(device, echo_window)
    numbered = [(n, s) for n, s in enumerate(lines, 1) if s.strip()]
    t_open = 0.0
    if numbered:
        t_open = _parse_line(numbered[0][0], numbered[0][1], float("-inf"))[0]
    for effect in opening:
        yield effect_json(t_open, effect)
    last_t = float("-inf")
    for lineno, text in numbered:
        t, obj = _parse_line(lineno, text, last_t)
        last_t = t
        if "call" in obj:
            call = obj["call"]
            if call not in CALL_COMMANDS:
                raise ScriptError(
                    f"line {lineno}: 'call' must be one of {', '.join(CALL_COMMANDS)}, got {call!r}"
                )
            effects = session.command(cast(CallCommandName, call), t)
        else:
            try:
                effects = session.feed(_parse_hex(lineno, obj["in"]), t)
            except ReportError as exc:
                raise ScriptError(f"line {lineno}: {exc}") from None
        for effect in effects:
            yield effect_json(t, effect)
