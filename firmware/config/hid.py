"""The `[hid]` section: which headset sits at which seat (agent), and the echo window.

```toml
[hid]
echo_window = 0.5          # seconds an Off-Hook echo from the headset is not a request

[hid.seats]                # USB serial number or USB port path -> agent id
"A1B2C3D4" = "A"
"1-1.2" = "B"
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HidConfig(BaseModel):
    """Headset seats and handshake timing. A serial number match wins over a port match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    echo_window: float = Field(0.5, ge=0, le=5)
    seats: dict[str, str] = Field(default_factory=dict)
