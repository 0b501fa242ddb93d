"""Gateway configuration: TOML files validated by pydantic models.

`load_config(path)` returns a `GatewayConfig` or raises `ConfigError`, whose message names the
file, the key (dotted, with list indexes) and the reason, e.g.
`site.toml: acd.agents[1].queues: unknown queue 'salez' (known: sales, support)`.
"""

from firmware.config.loading import ConfigError, load_config, parse_config
from firmware.config.root import GatewayConfig

__all__ = ["ConfigError", "GatewayConfig", "load_config", "parse_config"]
