"""Which agent a headset belongs to: the `[hid.seats]` table applied to a `DeviceInfo`.

A USB serial number follows the headset to any port; a port path (``1-1.2``) pins a seat to a
socket whatever is plugged in. Headsets without a serial (several cheap corded ones report none,
or the same one for every unit) must be seated by port. Serial wins over port.
"""

from __future__ import annotations

from collections.abc import Mapping

from firmware.hid.backend import DeviceInfo


class SeatMap:
    """Maps headsets to agent ids. Raises nothing: an unseated headset maps to None."""

    def __init__(self, seats: Mapping[str, str]) -> None:
        self.seats = dict(seats)

    def agent_for(self, info: DeviceInfo) -> str | None:
        for key in (info.serial, info.port, info.path):
            if key and key in self.seats:
                return self.seats[key]
        return None

    def describe(self, info: DeviceInfo) -> str:
        """A short label for listings: ``A (serial)``, ``B (port)`` or ``unseated``."""
        for kind, key in (("serial", info.serial), ("port", info.port), ("path", info.path)):
            if key and key in self.seats:
                return f"{self.seats[key]} ({kind})"
        return "unseated"
