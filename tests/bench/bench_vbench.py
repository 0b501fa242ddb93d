"""The virtual bench as a benchmark (printed, never asserted): ``python -m tests.bench.bench_vbench``.

Boots the guest once (board/vbench/vbench.py) and prints its wall time and what the guest
session measured against real kernel devices: hook press → Off-Hook LED report through the
real service, console `status` round trip over the USB ACM link, uplink audio frames
processed vs dropped, raw HID and ACM round trips. All under software emulation (TCG): orders
of magnitude, not a Pi's numbers. Prints why and returns when this machine cannot run QEMU.
"""

from __future__ import annotations

import json

from tests.vbench import launcher


def main() -> None:
    vbench = launcher.load()
    try:
        result = vbench.run_bench()
    except vbench.BenchUnavailable as exc:
        print(f"virtual bench skipped: {exc}")
        return
    print(result.summary())
    print(json.dumps(result.measurements, indent=1, sort_keys=True))
    if result.status != 0:
        raise RuntimeError(f"guest session failed:\n{result.pytest_log[-4000:]}")


if __name__ == "__main__":
    main()
