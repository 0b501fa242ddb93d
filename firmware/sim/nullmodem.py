"""A null-modem cable made of two pseudo-terminals, like `socat pty,raw pty,raw`.

The gateway's console serves one end (`gateway_end`) exactly as it serves `/dev/ttyGS0`, and
`gwctl --port <host_end>` opens the other: the whole serial path (pyserial, termios raw mode,
framing over a byte pipe) runs on a laptop and in tests. A relay thread copies bytes between
the two pty masters; when one end stays full (nobody reads it) for `STALL` seconds its bytes
are dropped, as on a real line, so a forgotten `watch` cannot stall the other direction.
Both slaves are put in raw mode at once and kept open, so nothing is echoed back and the line
does not hang up between gwctl runs.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty

STALL = 1.0  # s a full end may hold the relay before its bytes are dropped


class NullModem:
    """Two linked ptys. `close()` stops the relay. Raises OSError when ptys are unavailable."""

    def __init__(self) -> None:
        self._m1, self._s1 = os.openpty()
        self._m2, self._s2 = os.openpty()
        for fd in (self._s1, self._s2):
            tty.setraw(fd)
        self.gateway_end = os.ttyname(self._s1)
        self.host_end = os.ttyname(self._s2)
        self._stop_r, self._stop_w = os.pipe()
        self.bytes_relayed = 0
        self.bytes_dropped = 0  # like a real line: what nobody reads in time is lost
        for fd in (self._m1, self._m2):
            os.set_blocking(fd, False)
        self._thread = threading.Thread(target=self._relay, name="nullmodem", daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        peer = {self._m1: self._m2, self._m2: self._m1}
        while True:
            try:
                readable, _, _ = select.select([self._m1, self._m2, self._stop_r], [], [])
            except (OSError, ValueError):
                return
            if self._stop_r in readable:
                return
            for fd in readable:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    continue  # EIO while no one holds the slave: nothing to carry
                self._carry(peer[fd], data)

    def _carry(self, fd: int, data: bytes) -> None:
        """Write `data` to `fd`, waiting up to `STALL` seconds for a slow reader."""
        view, waited = memoryview(data), 0.0
        while view and waited < STALL:
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                select.select([], [fd], [], 0.05)
                waited += 0.05
                continue
            except OSError:
                break
            view = view[n:]
            self.bytes_relayed += n
        self.bytes_dropped += len(view)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        self._thread.join(timeout=2)
        for fd in (self._m1, self._s1, self._m2, self._s2, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> NullModem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
