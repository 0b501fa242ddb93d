"""The bench launcher (board/vbench/vbench.py, a standard-library script) as a module, for the
host-side test and `make bench`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "board" / "vbench" / "vbench.py"


def load() -> ModuleType:
    """Import board/vbench/vbench.py once (as module `vbench`)."""
    if "vbench" in sys.modules:
        return sys.modules["vbench"]
    spec = importlib.util.spec_from_file_location("vbench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vbench"] = module
    spec.loader.exec_module(module)
    return module
