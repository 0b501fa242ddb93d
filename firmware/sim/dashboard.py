"""The simulated board on a terminal: a live dashboard and keyboard-driven headsets.

Keys act on the selected agent: `1`–`9` or Tab select, space = hook (lift / put down),
`m` = mute, `r` = reject, `s` = state button (short press), `l` = long press (logout),
`u` = unplug / plug the headset, `c` = a call arrives, `q` = quit. The screen is redrawn at
most `FPS` times a second, only when something changed (records, key presses, audio levels).

Without a terminal the simulated board runs headless instead (`HeadlessLog`): one line per
journal record, through the service log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import termios
import tty
from collections import deque
from typing import Any

from firmware.commands.demo import clock
from firmware.commands.demo import line as demo_line
from firmware.sim.desk import SimDesk

log = logging.getLogger("deskgate.sim")

FPS = 10
COLORS = {"green": "\x1b[32m", "amber": "\x1b[33m", "red": "\x1b[31m", "off": "\x1b[90m"}
RESET, BOLD, CLEAR = "\x1b[0m", "\x1b[1m", "\x1b[H\x1b[2J"


def record_line(record: Any) -> str:
    """The demo's sentence for a record; its JSON for types the demo does not describe."""
    try:
        text: str = demo_line(record)
        return text
    except KeyError:
        return f"{clock(record.t)}  {record.to_json()}"


def _lamp(pattern: str) -> str:
    color = pattern.split()[0]
    return f"{COLORS.get(color, '')}●{RESET} {pattern}"


def _bar(dbfs: float, width: int = 20) -> str:
    filled = max(0, min(width, int((dbfs + 60) / 60 * width)))
    return "█" * filled + "·" * (width - filled)


class Dashboard:
    """Draws the desk and reads keys. `run()` returns when `q` is pressed (then it stops the
    service); the terminal mode is restored on exit whatever happens."""

    def __init__(self, service: Any, desk: SimDesk) -> None:
        self.service = service
        self.desk = desk
        self.selected = 0
        self.recent: deque[str] = deque(maxlen=10)
        self._dirty = asyncio.Event()
        service.acd.listeners.append(self._on_records)

    def _on_records(self, records: list[Any]) -> None:
        for r in records:
            self.recent.append(record_line(r))
        self._dirty.set()

    @property
    def agent(self) -> str:
        return self.desk.agents[self.selected]

    def key(self, ch: str) -> bool:
        """Handle one key; False to quit."""
        agent = self.agent
        if ch == "q":
            return False
        if ch.isdigit() and 1 <= int(ch) <= len(self.desk.agents):
            self.selected = int(ch) - 1
        elif ch == "\t":
            self.selected = (self.selected + 1) % len(self.desk.agents)
        elif ch == " ":
            self.desk.hook(agent)
        elif ch == "m":
            self.desk.mute(agent)
        elif ch == "r":
            self.desk.reject(agent)
        elif ch == "s":
            self.desk.button(agent)
        elif ch == "l":
            self.desk.button(agent, long=True)
        elif ch == "u":
            self.desk.replug(agent)
        elif ch == "c":
            self.desk.call()
        self._dirty.set()
        return True

    def render(self) -> str:
        gw = self.service.gateway
        st = self.service.acd.state
        out = [f"{BOLD}deskgate — simulated board{RESET}  site {self.service.config.site.name}"]
        if self.service.console_port:
            out.append(
                f"console: gwctl --port {self.service.console_port}   token: {self.service.token}"
            )
        out.append("")
        out.append(f"   {'agent':8} {'status':28} {'desk light':24} {'headset':26} call")
        for i, aid in enumerate(self.desk.agents):
            a = st.agents[aid]
            status = a.status + (f" ({a.reason})" if a.reason else "")
            seat = gw.bridge.seats.get(aid)
            hs = "unplugged" if not self.desk.plugged.get(aid, False) else "on-hook"
            if self.desk.plugged.get(aid) and self.desk.hands.get(aid) is not None:
                hs = "OFF-HOOK" if self.desk.hands[aid].off_hook else "on-hook"
            leds = ",".join(sorted(seat.session.state.lit)) if seat else ""
            mark = ">" if i == self.selected else " "
            what = f"ringing {a.offer}" if a.offer else (f"talking {a.call}" if a.call else "")
            lamp = _lamp(str(gw.pattern(aid)))
            out.append(f" {mark} {aid:8} {status:28} {lamp:33} {hs + ' ' + leds:26} {what}")
        out.append("")
        for name, q in st.queues.items():
            waiting = " ".join(c for _, c in q.by_age) or "-"
            out.append(f"queue {name:10} waiting: {waiting}")
        line = self.desk.line
        if line is not None:
            n = line.counts()
            out.append(
                f"phone line (simulated): answered {n['answer']}  hung up {n['hangup']}  "
                f"dialled {n['dial']}  waiting {len(line.waiting)}  connected {len(line.connected)}"
            )
        if gw.audio is not None:
            s = gw.audio.stats()
            out.append("")
            out.append(f"mic  {_bar(s.mic_dbfs)} {s.mic_dbfs:6.1f} dBFS   muted={s.muted}")
            out.append(f"line {_bar(s.line_dbfs)} {s.line_dbfs:6.1f} dBFS   NS={s.noise_active}")
        out.append("")
        out.extend(self.recent)
        out.append("")
        out.append("keys: 1-9/Tab select  space hook  m mute  r reject  s state button")
        out.append("      l long press (logout)  u unplug/plug  c call arrives  q quit")
        return CLEAR + "\n".join(out) + "\n"

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        keys: asyncio.Queue[str] = asyncio.Queue()

        def readable() -> None:
            with contextlib.suppress(OSError):
                for ch in os.read(fd, 64).decode(errors="ignore"):
                    keys.put_nowait(ch)
            self._dirty.set()

        tty.setcbreak(fd)
        loop.add_reader(fd, readable)
        try:
            while True:
                sys.stdout.write(self.render())
                sys.stdout.flush()
                self._dirty.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._dirty.wait(), 1.0)
                while not keys.empty():
                    if not self.key(keys.get_nowait()):
                        self.service.stop()
                        return
                await asyncio.sleep(1 / FPS)
        finally:
            loop.remove_reader(fd)
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class HeadlessLog:
    """Headless simulated board: every journal record as one log line."""

    def __init__(self, service: Any) -> None:
        service.acd.listeners.append(self._on_records)

    def _on_records(self, records: list[Any]) -> None:
        for r in records:
            log.info("%s", record_line(r))
