"""The virtual bench's tests: `test_vbench.py` runs on the host and boots the guest; the tests
under `guest/` run inside the guest only (board/vbench/guest-init.sh sets
DESKGATE_VBENCH_GUEST), never in the host's pytest run.

The bench's wall time and the measurements taken inside the guest are printed in the terminal
summary (whatever pytest's capture mode), so CI's log shows them."""

from __future__ import annotations

import os
from typing import Any

collect_ignore = [] if os.environ.get("DESKGATE_VBENCH_GUEST") else ["guest"]

REPORT: list[str] = []  # lines test_vbench.py adds for the terminal summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("virtual bench")
        for line in REPORT:
            terminalreporter.write_line(line)
