"""Indicator backend for the Linux LED class (`/sys/class/leds/<led>/`).

Blinking is handed to the kernel's `timer` trigger (`trigger`, `delay_on`, `delay_off`), so a
stalled or restarting service never leaves an LED frozen half-way through a blink: the kernel
keeps the cadence. The sysfs root is a parameter so tests (and the simulated board) use a plain
directory tree laid out like sysfs.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from firmware.indicators.indicator import IndicatorGone, as_mono
from firmware.indicators.patterns import Color, Pattern

SYSFS_LEDS = Path("/sys/class/leds")


class LedClassIndicator:
    """One single-colour LED driven through the LED class sysfs files.

    `lit_for` names the colours the LED stands for (the Ready LED: green). Raises
    `IndicatorGone` when the LED directory or one of its files is missing or refuses a write.
    """

    backend = "ledclass"

    def __init__(
        self, name: str, led: str, lit_for: frozenset[Color], root: Path = SYSFS_LEDS
    ) -> None:
        self._name = name
        self._dir = Path(root) / led
        self._lit_for = lit_for
        self._shown: Pattern | None = None  # None: unknown, write everything next time
        self._max: str | None = None
        self._pinned: bool | None = None  # timer trigger set by udev before we started

    @property
    def name(self) -> str:
        return self._name

    @property
    def colors(self) -> frozenset[Color]:
        return self._lit_for

    @property
    def path(self) -> Path:
        return self._dir

    def show(self, pattern: Pattern, now: float) -> None:
        wanted = as_mono(pattern, self._lit_for)
        if wanted == self._shown:
            return
        self._shown = None
        if self._timer_pinned():
            self._show_with_delays(wanted)
        elif wanted.is_off:
            # LED class quirk: writing 0 to `brightness` also removes the trigger; set the
            # trigger to none first anyway so the order of events is the same on every kernel.
            self._write("trigger", "none")
            self._write("brightness", "0")
        elif wanted.blink.steady:
            self._write("trigger", "none")
            self._write("brightness", self._max_brightness())
        else:
            # `delay_on`/`delay_off` exist only once the timer trigger is active, and setting
            # the trigger resets them to 500/500: trigger first, then the two delays.
            self._write("trigger", "timer")
            self._write("delay_on", str(wanted.blink.on_ms))
            self._write("delay_off", str(wanted.blink.off_ms))
        self._shown = wanted

    def _timer_pinned(self) -> bool:
        """True when the timer trigger was already set before we touched the LED.

        On the image, udev (udev/70-deskgate-leds.rules) selects the `timer` trigger once and
        gives the service group write access to `delay_on`/`delay_off`. The kernel recreates
        those two files owned by root every time the trigger is written, so the unprivileged
        service must then never write `trigger` (or `brightness`, which drops the trigger):
        it draws everything with the delays, which the kernel reads as "never on"
        (`delay_on` 0) and "never off" (`delay_off` 0).
        """
        if self._pinned is None:
            try:
                self._pinned = _selected(self._read("trigger")) == "timer"
            except OSError:
                self._pinned = False
        return self._pinned

    def _show_with_delays(self, wanted: Pattern) -> None:
        if wanted.is_off:
            self._write("delay_on", "0")
        elif wanted.blink.steady:
            self._write("delay_on", "1")
            self._write("delay_off", "0")
        else:
            self._write("delay_on", str(wanted.blink.on_ms))
            self._write("delay_off", str(wanted.blink.off_ms))

    def tick(self, now: float) -> float | None:
        return None  # the kernel keeps time

    def reopen(self) -> None:
        self._shown = None
        self._max = None
        self._pinned = None
        if not self._dir.is_dir():
            raise IndicatorGone(self._missing())

    def readback(self) -> str:
        if not self._dir.is_dir():
            return self._missing()
        try:
            trigger = _selected(self._read("trigger"))
            if trigger == "timer":
                on, off = self._read("delay_on"), self._read("delay_off")
                if on == "0":
                    return "off (timer trigger, never on)"
                if off == "0":
                    return "on (timer trigger, never off)"
                return f"timer {on}/{off} ms"
            brightness = int(self._read("brightness"))
        except (OSError, ValueError) as exc:
            return f"unreadable ({exc})"
        state = "off" if brightness == 0 else f"on (brightness {brightness})"
        return state if trigger == "none" else f"{state}, trigger {trigger}"

    def close(self) -> None:
        self._shown = None

    def _max_brightness(self) -> str:
        if self._max is None:
            try:
                self._max = self._read("max_brightness") or "1"
            except OSError:
                self._max = "1"
        return self._max

    def _read(self, attr: str) -> str:
        return (self._dir / attr).read_text(encoding="ascii").strip()

    def _write(self, attr: str, value: str) -> None:
        path = self._dir / attr
        try:
            # No O_CREAT: a missing attribute is an error, as it is in sysfs.
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        except FileNotFoundError:
            raise IndicatorGone(self._missing(attr)) from None
        except OSError as exc:
            raise IndicatorGone(f"{self._name}: cannot open {path}: {exc.strerror}") from None
        try:
            os.write(fd, value.encode("ascii"))
        except OSError as exc:
            hint = " (is the LED driver unloaded?)" if exc.errno == errno.ENODEV else ""
            raise IndicatorGone(f"{self._name}: writing {path}: {exc.strerror}{hint}") from None
        finally:
            os.close(fd)

    def _missing(self, attr: str | None = None) -> str:
        if not self._dir.is_dir():
            return (
                f"{self._name}: LED {self._dir} is missing — is the board's LED overlay loaded "
                f"and the LED name right?"
            )
        return f"{self._name}: {self._dir / (attr or '')} is missing"


def _selected(trigger_file: str) -> str:
    """The active trigger from a `trigger` file: `none [timer] heartbeat` → `timer`."""
    for word in trigger_file.split():
        if word.startswith("[") and word.endswith("]"):
            return word[1:-1]
    return trigger_file.strip() or "none"
