"""baresip as a child process: configuration written, started, watched, killed.

The child gets `PR_SET_PDEATHSIG` (SIGKILL), so a gateway that dies takes its calls with it
instead of leaving an orphan holding the SIP port (recovery then ends those calls `restart`).
`PhoneLine` restarts it after an exit, a closed control connection or a stall, and ends the
calls in progress in the ACD once (see `line.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shutil
import signal
from collections import deque
from pathlib import Path

from firmware.config.phone import PhoneConfig
from firmware.phone.baresip_config import Line, render_accounts, render_config

log = logging.getLogger("deskgate.phone")

PR_SET_PDEATHSIG = 1


class BaresipMissing(Exception):
    """The baresip binary is not installed (Debian package `baresip-core`)."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def write_config(phone: PhoneConfig, lines: list[Line], directory: Path) -> Path:
    """The baresip configuration directory (`config`, `accounts`), rewritten at each start."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config").write_text(render_config(phone), encoding="utf-8")
    (directory / "accounts").write_text(render_accounts(phone, lines), encoding="utf-8")
    (directory / "contacts").write_text("", encoding="utf-8")
    return directory


class BaresipProcess:
    """One run of the baresip child. `tail` keeps its last output lines for diagnostics."""

    def __init__(self, phone: PhoneConfig, lines: list[Line], directory: Path) -> None:
        self.phone, self.lines, self.directory = phone, lines, directory
        self.proc: asyncio.subprocess.Process | None = None
        self.tail: deque[str] = deque(maxlen=40)
        self._drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def start(self) -> None:
        """Raises BaresipMissing, OSError."""
        exe = shutil.which(self.phone.baresip)
        if exe is None:
            raise BaresipMissing(
                f"{self.phone.baresip}: not found (install the Debian package baresip-core)"
            )
        write_config(self.phone, self.lines, self.directory)
        self.proc = await asyncio.create_subprocess_exec(
            exe,
            "-f",
            str(self.directory),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            env={**os.environ, "HOME": str(self.directory)},
        )
        self._drain = asyncio.create_task(self._read_output(), name="baresip-output")
        log.info("baresip started (pid %d, %d lines)", self.proc.pid, len(self.lines))

    async def _read_output(self) -> None:
        # Read chunks, not lines: baresip redraws some status lines with '\r' only, and a
        # reader that stops on an over-long line leaves the pipe full and baresip blocked.
        assert self.proc is not None and self.proc.stdout is not None
        rest = b""
        while chunk := await self.proc.stdout.read(65536):
            *lines, rest = (rest + chunk).replace(b"\r", b"\n").split(b"\n")
            rest = rest[-4096:]
            for line in lines:
                if line.strip():
                    text = line.decode(errors="replace").rstrip()
                    self.tail.append(text)
                    log.debug("baresip: %s", text)

    async def wait(self) -> int:
        assert self.proc is not None
        code = await self.proc.wait()
        if self._drain is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
        return code

    async def kill(self, timeout: float = 2.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`; returns once it has exited (a stopped
        process is continued so that it can die)."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGCONT)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
