"""`gwctl ports`: serial ports that may lead to a gateway, the likely ones first.

A deskgate gateway presents itself as a USB CDC-ACM serial gadget (Linux Foundation vendor id
0x1d6b; the gadget's product string names deskgate); UARTs behind USB-serial adapters are
listed after it.
"""

from __future__ import annotations

from dataclasses import dataclass

GADGET_VID = 0x1D6B  # Linux Foundation: the USB gadget (g_serial / configfs ACM) vendor id


@dataclass(frozen=True)
class PortInfo:
    """One serial port; `gateway` when it looks like a deskgate console."""

    device: str
    description: str
    gateway: bool


def _looks_like_gateway(port: object) -> bool:
    text = " ".join(
        str(getattr(port, name, "") or "") for name in ("description", "product", "manufacturer")
    ).lower()
    return "deskgate" in text or getattr(port, "vid", None) == GADGET_VID


def candidate_ports() -> list[PortInfo]:
    from serial.tools import list_ports

    found = [
        PortInfo(p.device, p.description or "", _looks_like_gateway(p))
        for p in list_ports.comports()
    ]
    return sorted(found, key=lambda p: (not p.gateway, p.device))
