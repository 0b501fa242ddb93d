"""systemd integration without a library: the `sd_notify` datagram protocol.

`Type=notify` units get `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace); the
service sends `READY=1` once it serves, `STATUS=...` lines, `RELOADING=1`, `STOPPING=1` and,
when `WatchdogSec=` is set (`WATCHDOG_USEC`), `WATCHDOG=1` at half that period from a task on
the event loop — a loop that stalls stops pinging and systemd restarts the service.
Outside systemd every call is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import deque

log = logging.getLogger("deskgate.service")


STATE_SEND_WAIT = 1.0  # seconds a READY/RELOADING/STOPPING message may wait for room


class Notifier:
    """Sends sd_notify messages. Never raises: a notify failure is logged once."""

    def __init__(self, address: str | None = None, watchdog_usec: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self.address: str | None = None
        if address:
            self.address = "\0" + address[1:] if address.startswith("@") else address
        usec = watchdog_usec if watchdog_usec is not None else os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        self.watchdog: float | None = None
        if usec and usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog = int(usec) / 1e6
        self._sock: socket.socket | None = None
        self._warned = False
        self.sent: deque[str] = deque(maxlen=64)  # the last messages, for status and tests

    def notify(self, message: str, wait: float = STATE_SEND_WAIT) -> None:
        """Send one message. A notify socket nobody reads (a stuck manager, a test) must not
        stall the main loop: state messages wait at most `wait` seconds for room, watchdog
        pings (wait=0) are dropped at once when the receiver's queue is full."""
        if self.address is None:
            return
        try:
            if self._sock is None:
                kind = socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                self._sock = socket.socket(socket.AF_UNIX, kind)
            self._sock.settimeout(wait)
            self._sock.sendto(message.encode(), self.address)
            self.sent.append(message)
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %s failed: %s", self.address, exc)
                self._warned = True

    def ready(self, status: str) -> None:
        self.notify(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def reloading(self) -> None:
        self.notify("RELOADING=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    async def keep_alive(self) -> None:
        """Ping the watchdog at half its period until cancelled (returns at once if unset)."""
        if self.watchdog is None:
            return
        while True:
            self.notify("WATCHDOG=1", wait=0)
            await asyncio.sleep(self.watchdog / 2)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
