"""`python -m tests.bench` (`make bench`): run every benchmark module in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

here = Path(__file__).parent
failed = []
for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
    if not info.name.startswith("bench_"):
        continue
    print(f"\n=== {info.name} ===", flush=True)
    try:
        module = importlib.import_module(f"tests.bench.{info.name}")
        module.main()
    except Exception as exc:  # report and go on: one missing extra must not hide the rest
        failed.append(info.name)
        print(f"{info.name} failed: {exc!r}", file=sys.stderr)
sys.exit(1 if failed else 0)
