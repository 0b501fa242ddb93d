"""Real calls through the gateway pieces, run *inside* a private network namespace.

`python -m tests.phone.netns_calls --calls N --out RESULT.json [--mode normal|kill|stall]`
must run under `unshare -n` (see `netns.py`): it brings `lo` up with an extra address
(baresip leaves 127.0.0.1 out of its SDP), starts the journaled ACD, the gateway wiring with
fake headsets (one Jabra Link 380c per agent), the phone line (baresip) through the same
`PhonePlug` the service uses, and sipp as N concurrent callers into queue `Q`.

Fake hands: an agent whose headset rings goes off-hook 0.1 s later; agents with an even
number hang up (on-hook) 1 s after the answer, the others wait for the caller, who hangs up
3 s after the 200 OK (tests/phone/data/caller.xml). `kill`/`stall` SIGKILL/SIGSTOP baresip
once every call is connected, then place one more call after the restart. `hold`: the agent
holds the call, resumes it and hangs up; sipp checks the re-INVITEs (data/hold.xml).

The result JSON holds the journal, sipp's per-call log lines, exit status and timings.
Every wait is bounded; every process started here is killed before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from firmware.config import parse_config
from firmware.hid.backend import DeviceInfo
from firmware.hid.descriptor import parse_hex_text
from firmware.hid.fake import FakeBackend, FakeHeadset
from firmware.journal.store import Journal
from firmware.phone.plug import PhonePlug, build_phone_line
from firmware.service.acdport import CoreClock, JournaledAcd
from firmware.service.gateway import Gateway

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).parent / "data" / "caller.xml"
DESCRIPTOR = ROOT / "board" / "sim" / "headsets" / "jabra_link_380c_0b0e-24c9.txt"
ADDRESS = "10.77.0.1"
OFF_HOOK, ON_HOOK = b"\x02\x01\x00", b"\x02\x00\x00"  # Jabra Link 380c report 2, bit 0
ANSWER_AFTER, AGENT_TALKS = 0.1, 1.0


class TimedHeadset(FakeHeadset):
    """A fake headset that also timestamps every report the gateway writes."""

    def __init__(self, info: DeviceInfo, descriptor: bytes) -> None:
        super().__init__(info, descriptor)
        self.write_times: list[tuple[float, bytes]] = []

    def write(self, data: bytes) -> None:
        self.write_times.append((time.time(), bytes(data)))
        super().write(data)


def site(n_agents: int, lines: int, ctrl_port: int, queued: bool = False) -> dict[str, Any]:
    """`queued`: every agent on a break and `max_wait` 1.5 s, so calls wait, then overflow."""
    agents = [f"a{i:02d}" for i in range(1, n_agents + 1)]
    start = {"status": "withdrawn", "reason": "break"} if queued else {}
    return {
        "acd": {
            "ring_timeout": 15,
            "queues": [{"name": "Q", "max_wait": 1.5 if queued else 0}],
            "agents": [{"id": a, "queues": ["Q"], **start} for a in agents],
        },
        "hid": {"seats": {f"SEAT-{a}": a for a in agents}},
        "phone": {
            "address": ADDRESS,
            "ctrl_port": ctrl_port,
            "lines": {"Q": lines},
            "stall_timeout": 2.0,
            "probe_interval": 0.5,
            "restart_delay": 0.2,
        },
    }


def setup_namespace() -> None:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"^\d+: ([^:@]+)", out, re.M)
    if names != ["lo"]:
        raise SystemExit(f"refusing to run outside a private network namespace (links: {names})")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"], check=True)


async def sipp(
    workdir: Path, calls: int, port: int, scenario: Path = SCENARIO, service: str = "Q"
) -> subprocess.CompletedProcess[str]:
    cmd = [
        "sipp", "-sf", str(scenario), "-i", ADDRESS, "-p", str(port), "-s", service,
        f"{ADDRESS}:5060", "-m", str(calls), "-l", str(calls), "-r", "50", "-rp", "1000",
        "-timeout", "25", "-timeout_error", "-nostdin", "-trace_logs", "-trace_msg",
        "-trace_err", "-mp", str(30000 + port % 1000 * 10),
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=workdir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 40)
    except TimeoutError:
        proc.kill()
        _, err = await proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode or 0, "", err.decode(errors="replace"))


def sipp_logs(workdir: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted(workdir.glob("*_logs.log")):
        lines += [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    return lines


def sipp_trace(workdir: Path) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """From sipp's message trace (what it put on and took off the wire), per Call-ID: when
    the INVITE left and the 200 OK came (epoch seconds), and how the call ended:
    AGENT_BYE (a BYE came in), CALLER_BYE (sipp sent one), REJECTED (486), ABANDONED (487)."""
    times: dict[str, dict[str, float]] = {}
    endings: dict[str, str] = {}
    stamp = re.compile(r"^-+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)")
    for path in workdir.glob("*_messages.log"):
        for block in re.split(r"\n(?=-{10,} )", path.read_text(errors="replace")):
            head = stamp.match(block.lstrip("\n"))
            cid = re.search(r"^Call-ID: *(\S+)", block, re.M | re.I)
            if not head or not cid:
                continue
            t = time.mktime(time.strptime(head.group(1), "%Y-%m-%d %H:%M:%S"))
            t += float(head.group(2))
            call, sent = cid.group(1), "message sent" in block
            first = re.search(r"^(INVITE|BYE|SIP/2.0 \d+)", block, re.M)
            what = first.group(1) if first else ""
            rec = times.setdefault(call, {})
            if sent and what == "INVITE":
                rec.setdefault("invite", t)
            elif not sent and what == "SIP/2.0 200" and re.search(r"^CSeq: *1 INVITE", block, re.M):
                rec.setdefault("ok200", t)
            elif what == "BYE":
                endings.setdefault(call, "CALLER_BYE" if sent else "AGENT_BYE")
            elif not sent and what in ("SIP/2.0 486", "SIP/2.0 487"):
                endings.setdefault(call, "REJECTED" if what.endswith("486") else "ABANDONED")
    return times, endings


GARBAGE = (
    b"\x00\xff" * 40,
    b"INVITE sip:nobody@10.77.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.77.0.1:5999;branch=z9hG4bKx\r\n"
    b"From: <sip:x@10.77.0.1>;tag=1\r\nTo: <sip:nobody@10.77.0.1>\r\nCall-ID: junk-1\r\n"
    b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    b"INVITE sip:Q-1@10.77.0.1 SIP/2.0\r\nCSeq: banana\r\n\r\n",
)


def send_garbage() -> None:
    """Datagrams that are not calls: binary noise, an INVITE for an account that does not
    exist (baresip answers 404), a truncated INVITE for a real line."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((ADDRESS, 5999))
        for datagram in GARBAGE:
            sock.sendto(datagram, (ADDRESS, 5060))


def _cpu_rss(pid: int | str) -> tuple[float, int]:
    """(CPU seconds used so far, resident kB) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(
        int(ln.split()[1])
        for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ln.startswith("VmRSS:")
    )
    return cpu, rss


async def usage(line: Any, window: float) -> dict[str, float]:
    """CPU share (of one core) and RSS of baresip and of this Python process over `window`."""
    pid = line.process.pid
    b0, p0, t0 = _cpu_rss(pid)[0], _cpu_rss("self")[0], time.monotonic()
    await asyncio.sleep(window)
    (b1, b_rss), (p1, p_rss), t1 = _cpu_rss(pid), _cpu_rss("self"), time.monotonic()
    return {
        "baresip_cpu": (b1 - b0) / (t1 - t0),
        "baresip_rss_kb": b_rss,
        "python_cpu": (p1 - p0) / (t1 - t0),
        "python_rss_kb": p_rss,
    }


async def scenario(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    n = args.calls
    queued = args.mode == "queued"
    config = parse_config(site(n, n + 1, args.ctrl_port, queued), "netns_calls")
    journal = Journal(workdir / "journal.sqlite")
    acd = JournaledAcd(config.acd.to_params(), journal, CoreClock())
    backend = FakeBackend()
    descriptor = parse_hex_text(DESCRIPTOR.read_text())
    headsets: dict[str, TimedHeadset] = {}
    for i, agent in enumerate(a.id for a in config.acd.agents):
        info = DeviceInfo(f"/dev/hidraw-test{i}", 0x0B0E, 0x24C9, serial=f"SEAT-{agent}")
        headsets[agent] = backend.add(TimedHeadset(info, descriptor))  # type: ignore[assignment]
    gateway = Gateway(config, acd, backend)
    line = build_phone_line(config, workdir)
    assert line is not None
    plug = PhonePlug(line, gateway)
    loop = asyncio.get_running_loop()
    presses: dict[str, list[tuple[float, str]]] = {a: [] for a in headsets}
    connected: set[str] = set()

    def press(agent: str, data: bytes, what: str) -> None:
        presses[agent].append((time.time(), what))
        headsets[agent].press(data)

    def hands(records: list[Any]) -> None:
        for r in records:
            agent = r.get("agent")
            if r.type == "OFFER_STARTED":
                loop.call_later(ANSWER_AFTER, press, agent, OFF_HOOK, "off")
            elif r.type == "CALL_CONNECTED":
                connected.add(r.get("call"))
                if int(agent[1:]) % 2 == 0 and args.mode == "normal":  # "measure": nobody
                    loop.call_later(AGENT_TALKS, press, agent, ON_HOOK, "on")
                elif args.mode == "hold":  # hold at +0.5 s, resume at +1.5 s, hang up at +2.5
                    for at, name in ((0.5, "hold"), (1.5, "resume")):
                        loop.call_later(at, gateway.submit, {"event": name, "agent": agent})
                    loop.call_later(2.5, press, agent, ON_HOOK, "on")
            elif r.type == "CALL_ENDED" and r.get("reason") != "agent_hangup" and agent:
                loop.call_later(0.6, press, agent, ON_HOOK, "release")

    acd.listeners.append(hands)
    acd.start_writer()  # journal appends on the writer thread, as in the service
    gateway.start()
    for agent in headsets:
        headsets[agent].press(ON_HOOK)  # the baseline report
    tasks = [asyncio.create_task(gateway.run())]
    result: dict[str, Any] = {"calls": n, "mode": args.mode}
    try:
        await plug.start()
        tasks.append(asyncio.create_task(plug.run()))
        if args.mode == "normal":
            send_garbage()  # must not reach the ACD nor upset baresip
        if args.mode == "measure":
            result["idle"] = await usage(line, 1.0)
        scenario_file = SCENARIO.with_name("hold.xml") if args.mode == "hold" else SCENARIO
        first = asyncio.create_task(sipp(workdir, n, 5070, scenario_file))
        if args.mode == "measure":
            deadline = time.monotonic() + 15
            while len(connected) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
            result["loaded"] = await usage(line, 2.0)
            result["loaded"]["connected"] = len(connected)
        if queued:  # one more caller gives up while waiting, on the last line
            quitter = await sipp(workdir, 1, 5090, SCENARIO.with_name("abandon.xml"), f"Q-{n + 1}")
            result["sipp_abandon"] = {"rc": quitter.returncode, "stderr": quitter.stderr[-2000:]}
        elif args.mode in ("kill", "stall"):
            deadline = time.monotonic() + 15
            while len(connected) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            assert line.process is not None and line.process.proc is not None
            result["faulted_pid"] = line.process.pid
            os.kill(
                line.process.pid or 0, signal.SIGKILL if args.mode == "kill" else signal.SIGSTOP
            )
            deadline = time.monotonic() + 10
            while line.stats["restarts"] < 1 or not line.up.is_set():
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            result["restarted_pid"] = line.process.pid
        done = await first
        result["sipp"] = {"rc": done.returncode, "stderr": done.stderr[-2000:]}
        if args.mode in ("kill", "stall"):
            again = await sipp(workdir, 1, 5080)
            result["sipp_after"] = {"rc": again.returncode, "stderr": again.stderr[-2000:]}
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and (acd.state.calls or line.calls):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
    finally:
        with contextlib.suppress(Exception):
            await plug.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        gateway.stop()
        await asyncio.sleep(0.3)  # the headset reader threads notice the stop (200 ms reads)
        acd.stop_writer()
    result["journal"] = [r.to_dict() for r in journal.records()]
    journal.close()
    result["sipp_logs"] = sipp_logs(workdir)
    result["sipp_times"], result["sipp_endings"] = sipp_trace(workdir)
    result["stats"] = dict(line.stats)
    result["presses"] = presses
    result["rings"] = {
        a: [t for t, data in h.write_times if len(data) > 1 and data[1] & 0x88 == 0x88]
        for a, h in headsets.items()
    }
    result["marks"] = [{"call": sc.call, "agent": sc.agent, **sc.marks} for sc in line.history]
    result["baresip_tail"] = list(line.process.tail) if line.process else []
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument(
        "--mode",
        choices=("normal", "kill", "stall", "queued", "measure", "hold"),
        default="normal",
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--ctrl-port", type=int, default=4444)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    setup_namespace()
    with tempfile.TemporaryDirectory(prefix="deskgate-phone-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(scenario(args, workdir))
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    sys.exit(main())
