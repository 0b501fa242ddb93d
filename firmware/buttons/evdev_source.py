"""The state button as a Linux input device (gpio-keys from the board overlay), via
python-evdev.

The device is named by path (`/dev/input/by-path/platform-…-event`) or by its input name
(`gpio-keys`), and the key by its evdev name (`KEY_PROG1`).
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterable
from typing import Any

from firmware.buttons.source import ButtonGone, KeyEdge

EV_KEY = 0x01
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2


class EvdevButtonSource:
    """Reads one key of one input device, without blocking; the device is opened on the first
    `read`. `read` and `reopen` raise `ButtonGone` when the device cannot be found or opened,
    or vanishes while read."""

    def __init__(
        self,
        device: str,
        key: str,
        open_device: Callable[[str], Any] | None = None,
        list_devices: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self._device_spec = device
        self._key_name = key
        self._code = _key_code(key)
        if open_device is None or list_devices is None:
            import evdev  # here, so the simulated board runs where evdev is not built

            open_device = open_device or evdev.InputDevice
            list_devices = list_devices or evdev.list_devices
        self._open_device = open_device
        self._list_devices = list_devices
        self._dev: Any = None  # opened on first read, so a missing device is retried

    def reopen(self) -> None:
        self.close()
        path = self._resolve()
        try:
            self._dev = self._open_device(path)
        except PermissionError:
            raise ButtonGone(
                f"{path}: permission denied — is the service in the 'input' group?"
            ) from None
        except OSError as exc:
            raise ButtonGone(f"{path}: {exc.strerror}") from None

    def fileno(self) -> int:
        return int(self._dev.fd) if self._dev is not None else -1

    def read(self, now: float) -> list[KeyEdge]:
        if self._dev is None:
            self.reopen()
        try:
            events = list(self._dev.read())
        except BlockingIOError:
            return []
        except OSError as exc:
            self.close()
            hint = " (device removed?)" if exc.errno == errno.ENODEV else ""
            raise ButtonGone(f"{self._device_spec}: {exc.strerror}{hint}") from None
        keys = [e for e in events if e.type == EV_KEY and e.code == self._code]
        # Autorepeat (value 2) is dropped: a held key must not repeat actions.
        keys = [e for e in keys if e.value in (KEY_UP, KEY_DOWN)]
        if not keys:
            return []
        # evdev quirk: event times are CLOCK_REALTIME unless the clock id is changed on the
        # device, which python-evdev does not expose. Keep their spacing (it matters for
        # debouncing) and anchor the newest at `now` on the service's monotonic clock.
        newest = keys[-1].timestamp()
        return [KeyEdge(e.value == KEY_DOWN, now - (newest - e.timestamp())) for e in keys]

    def close(self) -> None:
        if self._dev is not None:
            with contextlib.suppress(OSError):
                self._dev.close()
            self._dev = None

    def _resolve(self) -> str:
        if self._device_spec.startswith("/"):
            return self._device_spec
        for path in self._list_devices():
            try:
                dev = self._open_device(path)
            except OSError:
                continue
            try:
                if dev.name == self._device_spec:
                    return path
            finally:
                dev.close()
        raise ButtonGone(
            f"no input device named {self._device_spec!r} — is the gpio-keys overlay in "
            f"config.txt (see board/rpi4/README.md)?"
        )


def _key_code(name: str) -> int:
    """The evdev code of a key name (`KEY_PROG1` → 148). Raises `ButtonGone` if unknown."""
    try:
        from evdev import ecodes
    except ImportError:  # evdev not built here: the names our boards use
        codes = {"KEY_PROG1": 148, "KEY_PROG2": 149, "BTN_0": 256}
    else:
        codes = {k: v for k, v in ecodes.ecodes.items() if isinstance(v, int)}
    if name not in codes:
        raise ButtonGone(f"unknown key name {name!r} (e.g. KEY_PROG1, BTN_0)")
    return codes[name]
