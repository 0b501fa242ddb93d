"""The virtual bench in the host's test run: one boot of the guest (bounded, one retry on a
stalled boot) running the whole guest session (tests/vbench/guest) against real kernel
devices; a second, short boot proves that a failing guest test fails here with its output.

Skips, saying why, only when this machine cannot run the bench (no qemu-system-x86_64, no
kernel image with modules, no static busybox: `make deps` installs them as root).
`VBENCH_INJECT_FAILURE=1` adds a deliberately broken test to the main guest session.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.vbench import launcher
from tests.vbench.conftest import REPORT

vbench = launcher.load()


def _run(**kwargs: Any) -> Any:
    try:
        return vbench.run_bench(**kwargs)
    except vbench.BenchUnavailable as exc:
        pytest.skip(f"the virtual bench cannot run on this machine: {exc}")


@pytest.fixture(scope="module")
def session() -> Any:
    result = _run(inject_failure=bool(os.environ.get("VBENCH_INJECT_FAILURE")))
    REPORT.append(result.summary())
    for key, value in sorted(result.measurements.items()):
        REPORT.append(f"  {key}: {json.dumps(value)}")
    return result


def test_guest_session_passes(session: Any) -> None:
    if session.status != 0:
        print(session.pytest_log)  # in full: pytest shows a failing test's captured output
    assert session.status == 0, (
        f"guest pytest exited {session.status}\n--- guest pytest output ---\n"
        f"{session.pytest_log}\n--- guest console ---\n{session.console[-4000:]}"
    )
    assert " passed" in session.pytest_log.splitlines()[-1]


def test_guest_failure_fails_the_bench() -> None:
    result = _run(pytest_args=["-k", "injected"], inject_failure=True)
    REPORT.append(f"(failure injection) {result.summary()}")
    assert result.status == 1, result.pytest_log
    assert "FAILED tests/vbench/guest/test_injected_failure.py::test_injected_failure" in (
        result.pytest_log
    )
    assert "deliberately broken guest test" in result.pytest_log
