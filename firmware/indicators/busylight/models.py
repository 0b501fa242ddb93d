"""The supported USB busylights as one table: USB ids, name, encoder, timing needs.

Adding a light is adding a row (and its encoder in `reports`). The udev rule that lets the
service open the lights' hidraw nodes is generated from this table (`udev_rules()`), like the
docs, with an in-sync test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from firmware.indicators.busylight import reports
from firmware.indicators.patterns import Pattern


@dataclass(frozen=True)
class BusylightModel:
    """One kind of light: what to write for a pattern and what the light needs besides.

    `blinks_itself` False means the service times the blink (sending dark/lit reports);
    `keepalive` with `keepalive_every` is resent while the light is lit.
    """

    key: str
    name: str
    usb_ids: tuple[tuple[int, int], ...]
    encode: Callable[[Pattern], bytes]
    blinks_itself: bool
    keepalive: Callable[[], bytes] | None = None
    keepalive_every: float | None = None

    def ids_text(self) -> str:
        return ", ".join(f"{v:04x}:{p:04x}" for v, p in self.usb_ids)


MODELS: tuple[BusylightModel, ...] = (
    BusylightModel(
        key="kuando_alpha",
        name="Kuando Busylight Alpha",
        usb_ids=((0x04D8, 0xF848), (0x27BB, 0x3BCA), (0x27BB, 0x3BCB), (0x27BB, 0x3BCE)),
        encode=reports.kuando_report,
        blinks_itself=True,
        keepalive=reports.kuando_keepalive,
        keepalive_every=reports.KUANDO_KEEPALIVE_EVERY_S,
    ),
    BusylightModel(
        key="kuando_omega",
        name="Kuando Busylight Omega",
        usb_ids=((0x27BB, 0x3BCD), (0x27BB, 0x3BCF)),
        encode=reports.kuando_report,
        blinks_itself=True,
        keepalive=reports.kuando_keepalive,
        keepalive_every=reports.KUANDO_KEEPALIVE_EVERY_S,
    ),
    BusylightModel(
        key="embrava_blynclight",
        name="Embrava Blynclight",
        usb_ids=((0x2C0D, 0x0001), (0x2C0D, 0x000C), (0x0E53, 0x2516)),
        encode=reports.blynclight_report,
        blinks_itself=True,
    ),
    BusylightModel(
        # Luxafor quirk: the Flag, Mute, Orb and Bluetooth share 04d8:f372 and differ only in
        # the product string; all accept the Flag's static-colour command used here.
        key="luxafor_flag",
        name="Luxafor Flag",
        usb_ids=((0x04D8, 0xF372),),
        encode=reports.luxafor_report,
        blinks_itself=False,
    ),
)

MODEL_KEYS = tuple(m.key for m in MODELS)


def model_for_ids(vendor: int, product: int) -> BusylightModel | None:
    """The model claiming this USB vendor:product, or None."""
    for model in MODELS:
        if (vendor, product) in model.usb_ids:
            return model
    return None


def select_models(selection: str | list[str]) -> tuple[BusylightModel, ...]:
    """The models a board entry or `[indicators] busylight` names: "auto" (all), "off" (none)
    or a list of model keys. Raises ValueError for an unknown key."""
    if selection == "auto":
        return MODELS
    if selection == "off":
        return ()
    keys = [selection] if isinstance(selection, str) else selection
    unknown = [k for k in keys if k not in MODEL_KEYS]
    if unknown:
        raise ValueError(
            f"unknown busylight model(s) {', '.join(unknown)} (known: {', '.join(MODEL_KEYS)})"
        )
    return tuple(m for m in MODELS if m.key in keys)


def udev_rules() -> str:
    """udev rules giving the gateway's service group access to every supported light."""
    lines = [
        "# Generated from firmware/indicators/busylight/models.py — do not edit;",
        "# regenerate with: python -m firmware.indicators.docgen --write",
        "# USB busylights driven by the deskgate service over hidraw.",
    ]
    for model in MODELS:
        lines.append(f"# {model.name}")
        for vendor, product in model.usb_ids:
            lines.append(
                f'KERNEL=="hidraw*", ATTRS{{idVendor}}=="{vendor:04x}", '
                f'ATTRS{{idProduct}}=="{product:04x}", GROUP="deskgate", MODE="0660"'
            )
    return "\n".join(lines) + "\n"
