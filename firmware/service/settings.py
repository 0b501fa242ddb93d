"""Where the service keeps its state, and the configuration it runs with.

State directory: `--state-dir`, else `$STATE_DIRECTORY` (systemd sets it from
`StateDirectory=`; with several entries the first), else `$XDG_STATE_HOME/deskgate`, else
`~/.local/state/deskgate`. It holds `journal.sqlite`, `console.token`, `console.sock`,
`config-overrides.json` (what `gwctl config set` changed) and `last-good-config.json`.

The effective configuration is the TOML file (or the board's default) with the overrides on
top. A configuration that fails validation is never applied: at start the last good one is
used instead (and the error logged); on reload the running one stays.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tomllib
from pathlib import Path
from typing import Any

from firmware.config import ConfigError, GatewayConfig, parse_config

log = logging.getLogger("deskgate.service")

OVERRIDES = "config-overrides.json"
LAST_GOOD = "last-good-config.json"
SECRET_KEYS = ("token",)  # key names whose values never leave the gateway


def resolve_state_dir(arg: str | None) -> Path:
    """The state directory (created if missing). Raises OSError when it cannot be created."""
    if arg:
        path = Path(arg)
    elif os.environ.get("STATE_DIRECTORY"):
        path = Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base) / "deskgate"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{key}: {part} is not a section")
        node = child
    node[parts[-1]] = value


def get_dotted(data: Any, key: str) -> Any:
    """The value at a dotted key (`acd.ring_timeout`, `acd.agents.0.id`). Raises KeyError."""
    node = data
    for part in key.split(".") if key else []:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node


def parse_value(text: str) -> Any:
    """A `config set` value: TOML syntax when it parses (`30`, `true`, `["a"]`), else a
    plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def redact(data: Any) -> Any:
    """A copy with secret values replaced (for `config get` and diagnostics)."""
    if isinstance(data, dict):
        return {k: "<redacted>" if k in SECRET_KEYS else redact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v) for v in data]
    return data


class ConfigStore:
    """The configuration source of a running service: file + overrides, last good kept.

    `load()` and `set()` raise `ConfigError` (the message names file, key and reason) and
    leave `current` unchanged when the result is invalid.
    """

    def __init__(self, path: Path | None, state_dir: Path) -> None:
        self.path = path
        self.state_dir = state_dir
        self.current: GatewayConfig | None = None
        self.source = str(path) if path else "built-in defaults"

    def _file_data(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            return tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{self.path}: no such configuration file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from None

    def overrides(self) -> dict[str, Any]:
        try:
            data = json.loads((self.state_dir / OVERRIDES).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _validate(self, data: dict[str, Any], source: str) -> GatewayConfig:
        config = parse_config(data, source)
        agents = [a.id for a in config.acd.agents]
        desk = config.site.desk_agent
        if desk is not None and desk not in agents:
            raise ConfigError(
                f"{source}: site.desk_agent: unknown agent {desk!r} "
                f"(known: {', '.join(agents) or 'none'})"
            )
        return config

    def read(self, extra: tuple[str, Any] | None = None) -> GatewayConfig:
        """The effective configuration (with `extra` = (key, value) as one more override),
        validated but not kept. Raises ConfigError."""
        data = copy.deepcopy(self._file_data())
        overrides = self.overrides()
        if extra is not None:
            overrides[extra[0]] = extra[1]
        for key, value in overrides.items():
            _set_dotted(data, key, value)
        source = self.source + (" + overrides" if overrides else "")
        return self._validate(data, source)

    def load(self) -> GatewayConfig:
        """Read the configuration; on success it becomes `current` and the last good one."""
        config = self.read()
        self.keep(config)
        return config

    def load_or_last_good(self) -> tuple[GatewayConfig, str | None]:
        """At start: the configuration, or the last good one with the reason it was not used.
        Raises ConfigError when neither is usable."""
        try:
            return self.load(), None
        except ConfigError as exc:
            last = self.last_good()
            if last is None:
                raise
            self.current = last
            return last, str(exc)

    def set(self, key: str, value: Any) -> GatewayConfig:
        """Change one key (persisted as an override) if the result validates."""
        if not key or any(not part for part in key.split(".")):
            raise ConfigError(f"{key!r}: not a configuration key (e.g. acd.ring_timeout)")
        config = self.read((key, value))
        overrides = self.overrides()
        overrides[key] = value
        self._write(OVERRIDES, overrides)
        self.keep(config)
        return config

    def last_good(self) -> GatewayConfig | None:
        try:
            data = json.loads((self.state_dir / LAST_GOOD).read_text(encoding="utf-8"))
            return self._validate(data, str(self.state_dir / LAST_GOOD))
        except (FileNotFoundError, ValueError, ConfigError):
            return None

    def keep(self, config: GatewayConfig) -> None:
        """`config` runs now: it becomes `current` and the last good one on disk."""
        self.current = config
        self._write(LAST_GOOD, config.model_dump(mode="json"))

    def _write(self, name: str, data: Any) -> None:
        path = self.state_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
