"""The simulated desk around a running service: hands on every simulated headset, a state
button per agent, a seeded traffic generator and scripted agents.

Everything acts through the same seams as the hardware: headset input reports into the fake
HID backend, edges into fake button sources, callers through a fake phone line (the same
seam as the SIP line) or, without one, into the ACD as the phone side would send them.
Timing is in real seconds divided by `speed` (the core clock runs `speed` times fast).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from firmware.buttons.classifier import PressClassifier
from firmware.buttons.fake import FakeButtonSource
from firmware.buttons.state_button import StateButton
from firmware.phone.fake import FakePhoneLine
from firmware.sim.hands import Hands

log = logging.getLogger("deskgate.sim")

SHORT_PRESS = 0.15  # s held: a click
LONG_PRESS = 2.5  # s held: a logout request (long_press defaults to 2 s)


class SimDesk:
    """Hands and buttons for every seated simulated headset of `service` (an `app.Service`
    after `setup()`). `actions` counts what was done, for the dashboard and tests."""

    def __init__(
        self, service: Any, seed: int = 7, speed: float = 1.0, line: FakePhoneLine | None = None
    ) -> None:
        self.service = service
        self.line = line  # callers ring in through it when given, else straight into the ACD
        self.gateway = service.gateway
        self.rng = random.Random(seed)
        self.speed = speed
        self.hands: dict[str, Hands] = {}
        self.plugged: dict[str, bool] = {}
        seats = service.config.hid.seats
        for headset in service.fake_headsets:
            agent = seats.get(headset.info.serial) or seats.get(headset.info.port)
            if agent is not None:
                self.hands[agent] = Hands(headset)
                self.plugged[agent] = True
        self.sources: dict[str, FakeButtonSource] = {}
        cfg = service.config.indicators
        for agent in service.acd.state.agents:  # every simulated agent gets a button
            source = FakeButtonSource()
            classifier = PressClassifier(long_press=cfg.long_press, debounce=cfg.debounce)
            self.gateway.buttons[agent] = StateButton(source, classifier, agent)
            self.sources[agent] = source
        self.agents: list[str] = sorted(service.acd.state.agents)
        self.calls = 0
        self._call_prefix = f"C{service.acd.seq}-"

    def start(self) -> None:
        for hands in self.hands.values():
            hands.baseline()

    # -- one action each (keyboard, scripts, tests) -----------------------------------------
    def hook(self, agent: str, off_hook: bool | None = None) -> bool:
        hands = self.hands.get(agent)
        return hands.hook(off_hook) if hands is not None and self.plugged[agent] else False

    def mute(self, agent: str) -> bool:
        hands = self.hands.get(agent)
        return hands.mute() if hands is not None and self.plugged[agent] else False

    def reject(self, agent: str) -> bool:
        hands = self.hands.get(agent)
        return hands.reject() if hands is not None and self.plugged[agent] else False

    def button(self, agent: str, long: bool = False) -> None:
        source = self.sources.get(agent)
        if source is not None:
            source.click(time.monotonic(), LONG_PRESS if long else SHORT_PRESS)

    def replug(self, agent: str) -> None:
        """Unplug the agent's headset, or plug it back in."""
        hands = self.hands.get(agent)
        if hands is None:
            return
        backend = self.gateway.bridge.backend
        if self.plugged[agent]:
            backend.unplug(hands.path)
            self.plugged[agent] = False
        else:
            backend.plug(hands.headset)
            hands.off_hook = False
            self._levels_reset(hands)
            self.plugged[agent] = True
            hands.baseline()

    @staticmethod
    def _levels_reset(hands: Hands) -> None:
        for buf in hands._levels.values():
            buf[:] = bytes(len(buf))

    def call(self, queue: str | None = None, priority: int = 0) -> str:
        """A caller rings in on `queue` (random if None); returns the call id."""
        queues = sorted(self.service.acd.state.queues)
        if not queues:
            return ""
        self.calls += 1
        call = f"{self._call_prefix}{self.calls}"
        queue = queue or self.rng.choice(queues)
        if self.line is not None:
            return self.line.ring_in(queue, call, priority)
        event = {"event": "call_arrived", "call": call, "queue": queue, "priority": priority}
        self.gateway.submit(event)
        return call

    # -- the headless day ---------------------------------------------------------------------
    async def traffic(self, mean_gap: float = 20.0, abandon: float = 0.08) -> None:
        """Callers arrive at random (exponential gaps of `mean_gap` core seconds)."""
        while True:
            await asyncio.sleep(self.rng.expovariate(1 / mean_gap) / self.speed)
            prio = 5 if self.rng.random() < 0.1 else 0
            call = self.call(priority=prio)
            if call and self.rng.random() < abandon:
                delay = self.rng.uniform(10, 60) / self.speed
                asyncio.get_running_loop().call_later(delay, self._abandon, call)

    def _abandon(self, call: str) -> None:
        if call in self.service.acd.state.calls:
            if self.line is not None:
                self.line.caller_hangs_up(call)
            else:
                self.gateway.submit({"event": "caller_hangup", "call": call})

    def scripted_agents(self) -> None:
        """Agents who answer most offers after a few rings, talk, mute now and then, take a
        break with the state button and once unplug their headset."""
        self.service.acd.listeners.append(self._react)

    def _later(self, seconds: float, fn: Any, *args: Any) -> None:
        asyncio.get_running_loop().call_later(seconds / self.speed, fn, *args)

    def _react(self, records: list[Any]) -> None:
        for r in records:
            agent = r.get("agent")
            if agent not in self.hands:
                continue
            if r.type == "OFFER_STARTED" and self.rng.random() < 0.9:
                self._later(self.rng.uniform(1, 6), self._answer, agent, r["call"])
            elif r.type == "CALL_CONNECTED":
                if self.rng.random() < 0.3:
                    self._later(self.rng.uniform(2, 5), self.mute, agent)
                self._later(self.rng.uniform(20, 90), self.hook, agent, False)
            elif r.type == "CALL_ENDED" and r["reason"] == "remote_hangup":
                self._later(1, self.hook, agent, False)
            elif r.type == "STATUS_CHANGED" and r["to"] == "withdrawn":
                if r["reason"] in ("no_answer", "manual"):
                    self._later(self.rng.uniform(20, 60), self._ready, agent)
            elif r.type == "STATUS_CHANGED" and r["to"] == "ready":
                roll = self.rng.random()
                if roll < 0.05:
                    self._later(self.rng.uniform(5, 30), self._break, agent)
                elif roll < 0.07:
                    self._later(self.rng.uniform(5, 30), self._unplug_a_while, agent)

    def _answer(self, agent: str, call: str) -> None:
        if self.service.acd.state.agents[agent].offer == call:
            self.hook(agent, True)

    def _ready(self, agent: str) -> None:
        if self.service.acd.state.agents[agent].status == "withdrawn":
            self.button(agent)

    def _break(self, agent: str) -> None:
        a = self.service.acd.state.agents[agent]
        if a.status == "ready" and a.offer is None:
            self.button(agent)

    def _unplug_a_while(self, agent: str) -> None:
        a = self.service.acd.state.agents[agent]
        if self.plugged.get(agent) and a.call is None and a.offer is None:
            self.replug(agent)
            self._later(self.rng.uniform(5, 20), self.replug, agent)
