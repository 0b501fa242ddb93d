"""Running the real gateway for tests: `deskgate run --board sim` in a subprocess with its
console on one end of a pty null-modem, and `gwctl` on the other end. Every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from firmware.sim.nullmodem import NullModem
from host_tools.gwctl.link import LinkError, connect

BIN = Path(sys.executable).parent
START_TIMEOUT = 20.0


class RunningGateway:
    """A `deskgate run` subprocess and its console pty pair."""

    def __init__(
        self,
        state_dir: Path,
        *args: str,
        env: dict[str, str] | None = None,
        audio: bool = False,
    ) -> None:
        self.state_dir = state_dir
        self.modem = NullModem()
        self.port = self.modem.host_end
        self.log = state_dir.parent / f"{state_dir.name}.log"
        state_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(BIN / "deskgate"),
            "run",
            "--board",
            "sim",
            "--state-dir",
            str(state_dir),
            "--console",
            self.modem.gateway_end,
            *([] if audio else ["--no-audio"]),
            *args,
        ]
        self._log = self.log.open("ab")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        self.wait_ready()

    @property
    def token(self) -> str:
        return (self.state_dir / "console.token").read_text().strip()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"deskgate exited {self.proc.returncode}: {self.logs()}")
            with contextlib.suppress(LinkError):
                connect(self.port, None, timeout=0.5).close()
                return
        raise AssertionError(f"gateway not ready in {START_TIMEOUT} s: {self.logs()}")

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    @property
    def socket_port(self) -> str:
        return f"unix:{self.state_dir / 'console.sock'}"

    def gwctl(
        self, *args: str, token: bool = False, timeout: float = 20, port: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run gwctl on the serial console (or `port`, e.g. `socket_port`)."""
        extra = ["--token", self.token] if token else []
        return subprocess.run(
            [str(BIN / "gwctl"), "--port", port or self.port, "--timeout", "15", *extra, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def status(self) -> dict[str, Any]:
        out = self.gwctl("status", "--json")
        assert out.returncode == 0, out.stderr
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    def journal_count(self) -> int:
        path = self.state_dir / "journal.sqlite"
        if not path.exists():
            return 0
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            try:
                return int(db.execute("SELECT count(*) FROM records").fetchone()[0])
            except sqlite3.OperationalError:
                return 0

    def wait_records(self, n: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.journal_count() < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"journal below {n} records after {timeout} s")
            if self.proc.poll() is not None:
                raise AssertionError(f"deskgate exited: {self.logs()}")
            time.sleep(0.1)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        self.modem.close()
