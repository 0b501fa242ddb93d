"""Read a TOML file into the validated `GatewayConfig`, turning every failure into one
`ConfigError` that names the file, the key and the reason."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from firmware.config.root import GatewayConfig


class ConfigError(Exception):
    """The configuration cannot be used; the message names file, key and reason."""


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def parse_config(data: dict[str, Any], source: str) -> GatewayConfig:
    """Validate already-parsed TOML data; `source` names it in error messages."""
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if p not in ("function-after",))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            lines.append(f"{source}: {_key_path(loc)}: {msg}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path | None) -> GatewayConfig:
    """Load and validate `path`; None gives the built-in defaults (the simulated board)."""
    if path is None:
        return GatewayConfig()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return parse_config(data, str(p))
