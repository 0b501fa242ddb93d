"""How the installer commands fail: `gwctl: <message>` on stderr and exit status 1
(STYLE.md 6), the traceback only with `--debug`."""

from __future__ import annotations

import sys
import traceback


def fail(exc: BaseException, debug: bool = False) -> int:
    if debug:
        traceback.print_exception(exc)
    print(f"gwctl: {exc}", file=sys.stderr)
    return 1
