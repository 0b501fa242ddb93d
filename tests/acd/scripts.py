"""Event scripts for the long-running tests: the demo's agent day as a static script."""

from __future__ import annotations

import json
from pathlib import Path

from firmware.acd.events import event_to_dict
from firmware.sim.agent_day import AgentDay

CONFIG = """\
# The demo's agent day (firmware/sim/agent_day.py) as a configuration file.
[acd]
ring_timeout = 15
retry_delay = 5
max_failed_offers = 3
wrapup = 30
logout_negotiation = 5
[[acd.queues]]
name = "sales"
wait_time_1 = 240
wait_time_2 = 60
[[acd.queues]]
name = "support"
max_wait = 600
[[acd.agents]]
id = "alice"
queues = ["sales", "support"]
[[acd.agents]]
id = "bob"
queues = ["sales"]
[[acd.agents]]
id = "chloe"
queues = ["support"]
penalty = 1
[[acd.agents]]
id = "dan"
queues = ["sales", "support"]
penalty = 2
[[acd.campaigns]]
name = "renewals"
"""


def write_agent_day(directory: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write the agent day's config and its inputs as a script; return (config, script)."""
    lines = [json.dumps(event_to_dict(h.event, h.t)) for h, _ in AgentDay(seed) if h is not None]
    config = directory / "day.toml"
    config.write_text(CONFIG)
    script = directory / "day.jsonl"
    script.write_text("\n".join(lines) + "\n")
    return config, script
