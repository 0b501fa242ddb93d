"""A deliberately broken guest test, present only when the host asks for it
(`VBENCH_INJECT_FAILURE=1`, `vbench.py --inject-failure`): proves that a failure inside the
guest fails the bench, and CI, with the guest's output shown."""

import os

import pytest


@pytest.mark.skipif(
    not os.environ.get("DESKGATE_VBENCH_INJECT_FAILURE"), reason="no failure injected"
)
def test_injected_failure() -> None:
    observed = sum([1, 1])
    assert observed == 3, "deliberately broken guest test (VBENCH_INJECT_FAILURE)"
