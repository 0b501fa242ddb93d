"""The `[phone]` section: the SIP side of the gateway (baresip as a supervised child).

No `[phone]` section means no phone line: calls then come only from the console or the
simulated traffic generator.

```toml
[phone]
address = "192.0.2.10"        # the gateway's SIP/RTP address (never 127.0.0.1: baresip
                              # leaves it out of its SDP)
sip_port = 5060
ctrl_port = 4444              # baresip's ctrl_tcp, bound to 127.0.0.1 only
codecs = ["G722", "PCMU", "PCMA"]   # in preference order; G.722 is 16 kHz wideband
trunk = "sip:{number}@pbx.example.net"   # outbound calls (agents' dial, callbacks)
[phone.lines]                 # queue -> simultaneous calls it can carry (default 2)
sales = 4                     # reached at sip:sales-1@address ... sip:sales-4@address
[phone.seats.alice]           # the agent's call audio: the loopback ends of its NS chain
source = "alsa,plughw:Loopback,1,0"
player = "alsa,plughw:Loopback,1,1"
```
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CODECS = ("G722", "PCMU", "PCMA")
_DEVICE = re.compile(r"^[A-Za-z0-9_]+,[^\s;<>\"]*$")  # module,device (no account-line metas)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


class SeatAudio(BaseModel):
    """Where one agent's call audio goes in baresip: `module,device` strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    player: str

    @field_validator("source", "player")
    @classmethod
    def _device(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError(f"{value!r}: expected module,device (e.g. alsa,plughw:Loopback,1,0)")
        return value


class PhoneConfig(BaseModel):
    """Validated `[phone]` settings; every number is bounded so a typo cannot exhaust ports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    sip_port: int = Field(5060, ge=1024, le=65535)
    ctrl_port: int = Field(4444, ge=1024, le=65535)
    rtp_ports: tuple[int, int] = (20000, 20999)
    codecs: tuple[str, ...] = CODECS
    lines: dict[str, int] = Field(default_factory=dict)
    default_lines: int = Field(2, ge=1, le=64)
    seats: dict[str, SeatAudio] = Field(default_factory=dict)
    line_audio: str = "aubridge"  # clocked, silent: what a line uses before an agent answers
    trunk: str | None = None
    baresip: str = "baresip"
    stall_timeout: float = Field(3.0, gt=0, le=60)
    probe_interval: float = Field(1.0, gt=0, le=60)
    restart_delay: float = Field(1.0, ge=0, le=60)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r}: not an IP address") from None
        if ip.is_loopback and ip.version == 4 and str(ip) == "127.0.0.1":
            raise ValueError(
                "127.0.0.1 cannot carry calls: baresip leaves it out of its SDP "
                "(use the LAN address, or another address on lo)"
            )
        return value

    @field_validator("codecs")
    @classmethod
    def _codecs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CODECS]
        if unknown or not value:
            raise ValueError(f"codecs must be a non-empty list of {', '.join(CODECS)}")
        return value

    @field_validator("lines")
    @classmethod
    def _lines(cls, value: dict[str, int]) -> dict[str, int]:
        for queue, n in value.items():
            if not _NAME.match(queue):
                raise ValueError(f"{queue!r}: a queue name usable in a SIP user part")
            if not 1 <= n <= 64:
                raise ValueError(f"{queue}: lines must be 1..64, got {n}")
        return value

    @field_validator("line_audio")
    @classmethod
    def _line_audio(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9_]+$", value):
            raise ValueError(f"{value!r}: a baresip audio module name (e.g. aubridge)")
        return value

    @field_validator("trunk")
    @classmethod
    def _trunk(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("sip:") or "{number}" not in value):
            raise ValueError("trunk must be a sip: URI containing {number}")
        return value

    @model_validator(mode="after")
    def _ports(self) -> PhoneConfig:
        lo, hi = self.rtp_ports
        if not 1024 <= lo < hi <= 65535:
            raise ValueError(f"rtp_ports: expected [low, high] within 1024..65535, got {lo}-{hi}")
        ports = (self.sip_port, self.ctrl_port)
        if self.sip_port == self.ctrl_port or any(lo <= p <= hi for p in ports):
            raise ValueError("sip_port, ctrl_port and rtp_ports must not overlap")
        return self

    def lines_for(self, queue: str) -> int:
        return self.lines.get(queue, self.default_lines)
