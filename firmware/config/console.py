"""The `[console]` section: the management console's serial port, socket and token file.

```toml
[console]
port = "/dev/ttyGS0"        # serial device or pyserial URL; "" = no serial console
baudrate = 115200
socket = "console.sock"     # UNIX socket, relative to the state directory; "" = none
token_file = ""             # technician token; "" = console.token in the state directory
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConsoleConfig(BaseModel):
    """Where the console listens. `deskgate run --console PORT` overrides `port`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    port: str = ""
    baudrate: int = Field(115200, ge=1200, le=4_000_000)
    socket: str = "console.sock"
    token_file: str = ""
