"""The site's noise-suppression policy (seed 002, the Webex Contact Center rule).

- Noise suppression is on by default for the whole site.
- An agent cannot turn it off (or change it) from the desk; only the site administrator can,
  and only for the whole site.
- A change applies to calls started afterwards: a call keeps the settings it started with.
- The suppression level (0–4), AGC and the pause gate's depth are site settings too; with
  suppression off the gate is off as well (the uplink is then sent as captured).

Pure: no I/O, no audio library. `SitePolicy` is the one mutable holder; everything it hands
out is frozen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_NS_LEVEL = 1  # the strongest setting no benchmark condition loses ESTOI at: docs/audio.md
DEFAULT_NS_MIX = 0.5  # share of the engine's output in what is sent (same source)
DEFAULT_GATE_DB = 0.0  # pause gate off: it costs ESTOI in 19 of 20 conditions (docs/audio.md)
MAX_GATE_DB = 40.0
MAX_NS_LEVEL = 4
MAX_AGC_DBFS = 31


class PolicyError(Exception):
    """A policy change that is not allowed (wrong role) or not valid (out-of-range value)."""


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True)
class NoisePolicy:
    """Site-wide settings: suppression on/off, its level 1–4, AGC target dBFS (0 = off),
    `mix`, the share of suppressed signal sent (the rest is the original, delayed), and
    `gate_db`, how far the pause gate lowers the uplink while the agent is not speaking.

    Raises `PolicyError` for a level outside 0–4, an AGC target outside 0–31, a mix
    outside (0, 1] or a gate depth outside 0–40 dB.
    """

    suppression: bool = True
    level: int = DEFAULT_NS_LEVEL
    agc_dbfs: int = 0
    mix: float = DEFAULT_NS_MIX
    gate_db: float = DEFAULT_GATE_DB

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_NS_LEVEL:
            raise PolicyError(f"noise suppression level {self.level}: expected 0 to 4")
        if not 0 <= self.agc_dbfs <= MAX_AGC_DBFS:
            raise PolicyError(f"AGC target {self.agc_dbfs} dBFS: expected 0 (off) to 31")
        if not 0.0 < self.mix <= 1.0:
            raise PolicyError(f"noise suppression mix {self.mix}: expected more than 0, at most 1")
        if not 0.0 <= self.gate_db <= MAX_GATE_DB:
            raise PolicyError(f"pause gate depth {self.gate_db} dB: expected 0 (off) to 40")


@dataclass(frozen=True)
class CallAudioSettings:
    """What the audio path applies for one call, fixed when the call starts.

    `ns_level` is the engine level actually used: 0 when suppression is off.
    `policy_version` says which site policy the call started under. `gate_db` is the pause
    gate's depth (0 = off).
    """

    ns_level: int
    agc_dbfs: int
    policy_version: int
    ns_mix: float = 1.0
    gate_db: float = 0.0

    @property
    def suppression(self) -> bool:
        return self.ns_level > 0


class SitePolicy:
    """Holds the current site policy and hands each new call a frozen snapshot of it.

    `change()` raises `PolicyError` unless the caller is the site administrator, and for
    invalid values; calls already started keep their `CallAudioSettings`.
    """

    def __init__(self, policy: NoisePolicy | None = None) -> None:
        self._policy = policy or NoisePolicy()
        self._version = 1

    @property
    def current(self) -> NoisePolicy:
        return self._policy

    @property
    def version(self) -> int:
        """Increases by one with every accepted change."""
        return self._version

    def change(
        self,
        by: Role,
        *,
        suppression: bool | None = None,
        level: int | None = None,
        agc_dbfs: int | None = None,
        mix: float | None = None,
        gate_db: float | None = None,
    ) -> NoisePolicy:
        """Change the site policy (administrator only); returns the new policy."""
        if by is not Role.ADMIN:
            raise PolicyError(
                "noise suppression is a site-wide setting: "
                f"a{'n' if by is Role.AGENT else ''} {by.value} cannot change it; "
                "ask the site administrator"
            )
        p = self._policy
        new = NoisePolicy(  # validates
            suppression=p.suppression if suppression is None else suppression,
            level=p.level if level is None else level,
            agc_dbfs=p.agc_dbfs if agc_dbfs is None else agc_dbfs,
            mix=p.mix if mix is None else mix,
            gate_db=p.gate_db if gate_db is None else gate_db,
        )
        if new != self._policy:
            self._policy = new
            self._version += 1
        return new

    def settings_for_new_call(self) -> CallAudioSettings:
        p = self._policy
        return CallAudioSettings(
            ns_level=p.level if p.suppression else 0,
            agc_dbfs=p.agc_dbfs,
            policy_version=self._version,
            ns_mix=p.mix,
            gate_db=p.gate_db if p.suppression else 0.0,
        )
