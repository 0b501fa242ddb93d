"""The `[site]` section: what this gateway is and whose desk it sits on.

```toml
[site]
name = "paris-3rd-floor-desk-12"
desk_agent = "alice"    # the agent whose LEDs, state button and audio this gateway drives
```

Agents, their queues and seats (headset serial or USB port → agent) are in `[acd]` and
`[hid.seats]`; `desk_agent` defaults to the first agent of `[acd]`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SiteConfig(BaseModel):
    """The gateway's name (shown by `gwctl status`) and its desk agent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("deskgate", min_length=1)
    desk_agent: str | None = None
