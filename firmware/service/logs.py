"""Structured logs: one `key=value` line per event on stderr (journald adds the time and
takes the `<N>` priority prefix when `JOURNAL_STREAM` says stderr is the journal), and a ring
of recent lines that `gwctl logs` and `gwctl diag` read over the console."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from typing import Any

_PRIORITY = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "-_./:@" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class LogfmtFormatter(logging.Formatter):
    """`level=info logger=deskgate.acd msg="..."`; with `journal=True` the line starts with
    the syslog priority (`<6>`) and leaves the time to journald."""

    def __init__(self, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if not self.journal:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
            parts.append(f"time={stamp}.{int(record.msecs):03d}")
        parts += [
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        line = " ".join(parts)
        if self.journal:
            line = f"<{_PRIORITY.get(record.levelname, 6)}>{line}"
        return line


class LogRing(logging.Handler):
    """Keeps the last `size` log records as dicts (`t` = seconds since the epoch)."""

    def __init__(self, size: int = 2000) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[dict[str, Any]] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(
            {
                "t": round(record.created, 3),
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": record.getMessage(),
            }
        )

    def since(self, t: float) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["t"] >= t]


def setup_logging(quiet: bool = False, level: int = logging.INFO) -> LogRing:
    """Route every `deskgate.*` logger (and the packages' own) to stderr and to a ring."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, LogRing) or getattr(handler, "_deskgate", False):
            root.removeHandler(handler)
    ring = LogRing()
    root.addHandler(ring)
    if not quiet:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(LogfmtFormatter(journal=bool(os.environ.get("JOURNAL_STREAM"))))
        stderr._deskgate = True  # type: ignore[attr-defined]
        root.addHandler(stderr)
    root.setLevel(level)
    return ring
