"""The bench's USB headset: a composite gadget (HID telephony + ACM console) bound to
dummy_hcd's device controller, so the guest's own USB host enumerates it.

    python3 board/vbench/gadget.py up|down|unbind|bind [board/vbench/gadget.toml]

configfs is written by the product's module, firmware/provisioning/gadget.py (the same code
that makes the Raspberry Pi's console port), from board/vbench/gadget.toml. What is here is
the bench's own part: `HeadsetEnd`, the far side of the cable, writes the headset's input
reports (hook, mute) and reads the output reports (LEDs, ringer) the gateway sends, through
/dev/hidgN. Raises `GadgetError` when configfs refuses a step.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:  # run as a script, or imported from the guest's tests
    sys.path.insert(0, str(REPO))

from firmware.provisioning.gadget import (  # noqa: E402
    CONFIGFS,
    GadgetError,
    bind,
    bound,
    down,
    unbind,
    up,
)
from firmware.provisioning.gadget import Gadget as GadgetSpec  # noqa: E402
from firmware.provisioning.gadget import load as _load  # noqa: E402

__all__ = [
    "GadgetError",
    "GadgetSpec",
    "HeadsetEnd",
    "bind",
    "bound",
    "down",
    "hidg_node",
    "load",
    "unbind",
    "up",
]

HID_FUNCTION = "hid.headset"


def load(path: Path = HERE / "gadget.toml") -> GadgetSpec:
    return _load(path)


def hidg_node(spec: GadgetSpec) -> Path:
    """/dev/hidgN of the HID function (from its `dev` attribute: major:minor)."""
    dev = CONFIGFS / spec.name / "functions" / HID_FUNCTION / "dev"
    major, minor = dev.read_text().split(":")
    for node in Path("/dev").glob("hidg*"):
        st = node.stat()
        if os.major(st.st_rdev) == int(major) and os.minor(st.st_rdev) == int(minor):
            return node
    raise GadgetError(f"no /dev/hidg* node for {major}:{minor} (udev or devtmpfs missing?)")


class HeadsetEnd:
    """The headset's side of the HID link: input reports out, output reports in."""

    def __init__(self, spec: GadgetSpec) -> None:
        self.path = hidg_node(spec)
        self.fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)

    def send(self, report: bytes, timeout: float = 10.0) -> None:
        """One input report (report id first), as the headset would send it. f_hid holds one
        report until the host's interrupt IN poll takes it: a second write before that gets
        EAGAIN, so wait for the node to be writable (bounded) instead of dropping the report."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                os.write(self.fd, report)
                return
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GadgetError(
                        f"{self.path}: the host took no input report in {timeout} s"
                    ) from None
                select.select([], [self.fd], [], min(left, 0.5))

    def receive(self, timeout: float) -> bytes | None:
        """The next output report the host wrote, or None after `timeout` seconds."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        try:
            return os.read(self.fd, 256)
        except BlockingIOError:
            return None

    def drain(self) -> list[bytes]:
        """Every output report already waiting."""
        out = []
        while (report := self.receive(0)) is not None:
            out.append(report)
        return out

    def wait_for(self, wanted: bytes, timeout: float) -> tuple[bytes, float] | None:
        """Read output reports until one equals `wanted`: (report, seconds waited) or None."""
        start = time.monotonic()
        while (left := start + timeout - time.monotonic()) > 0:
            report = self.receive(left)
            if report == wanted:
                return report, time.monotonic() - start
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("up", "down", "bind", "unbind"):
        print("usage: gadget.py up|down|bind|unbind [gadget.toml]", file=sys.stderr)
        return 2
    try:
        spec = load(Path(argv[1]) if len(argv) > 1 else HERE / "gadget.toml")
        {"up": up, "down": down, "bind": bind, "unbind": unbind}[argv[0]](spec)
    except GadgetError as exc:
        print(f"vbench gadget: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
