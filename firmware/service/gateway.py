"""The gateway's wiring: headsets, the journaled ACD core, indicators, the state button and
the audio bridge, on one asyncio loop.

Flow: a headset report → `HeadsetBridge` → ACD event → `JournaledAcd` (step; the records go
to the journal writer) → the records are the actions: the bridge rings/answers/hangs up
headsets, `_on_records` repaints the desk agent's indicators and starts the call audio at
once; `_on_durable` tells the watchers once the records are on disk. Timers
(ring timeout, wrap-up, logout) fire in `service()`, which the loop calls when the core, the
indicators or the buttons next need it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from firmware.acd.records import Record
from firmware.audio.bridge import AudioBridge
from firmware.buttons.state_button import StateButton
from firmware.config import GatewayConfig
from firmware.hid.backend import HidBackend
from firmware.hid.bridge import HeadsetBridge
from firmware.hid.handshake import Effect, MuteChanged, WriteReport
from firmware.hid.seats import SeatMap
from firmware.indicators.driver import IndicatorDriver
from firmware.indicators.indicator import Indicator
from firmware.indicators.patterns import AgentView, Pattern, pattern_for
from firmware.service.acdport import JournaledAcd

log = logging.getLogger("deskgate.gateway")

BUTTON_POLL = 0.02  # s between state-button polls (the fake and evdev sources never block)
MAX_SLEEP = 1.0

Watcher = Callable[[dict[str, Any]], None]


def desk_agent_of(config: GatewayConfig) -> str | None:
    """`site.desk_agent`, else the first configured agent (None when there are none)."""
    if config.site.desk_agent:
        return config.site.desk_agent
    return config.acd.agents[0].id if config.acd.agents else None


class Gateway:
    """Everything the service drives. Raises `JournalError` (from the ACD port) when a step
    cannot be made durable; every device problem is logged and retried instead."""

    def __init__(
        self,
        config: GatewayConfig,
        acd: JournaledAcd,
        hid: HidBackend,
        indicators: Sequence[Indicator] = (),
        button: StateButton | None = None,
        audio: AudioBridge | None = None,
    ) -> None:
        self.config = config
        self.acd = acd
        self.clock = acd.clock
        self.desk_agent = desk_agent_of(config)
        self.bridge = HeadsetBridge(
            hid,
            SeatMap(config.hid.seats),
            acd,
            echo_window=config.hid.echo_window,
            clock=acd.clock,
            on_effect=self._on_effect,
        )
        self.driver = IndicatorDriver(
            indicators, report=log.warning, retry_every=config.indicators.retry_every
        )
        self.buttons: dict[str, StateButton] = {}
        if button is not None and self.desk_agent is not None:
            self.buttons[self.desk_agent] = button
        self.audio = audio
        self.muted: dict[str, bool] = {}
        self.watchers: list[Watcher] = []
        self.effects: list[tuple[float, str, Effect]] = []  # recent headset effects (bounded)
        self.wake = asyncio.Event()
        acd.listeners.append(self._on_records)
        acd.durable_listeners.append(self._on_durable)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self.bridge.start()
        if self.audio is not None:
            self.audio.start(wait_for_devices=True)
        self.refresh_indicators()

    def stop(self) -> None:
        self.bridge.stop()
        if self.audio is not None:
            self.audio.stop()
        self.driver.close()

    # -- inputs ------------------------------------------------------------------------------
    def submit(self, event: dict[str, Any]) -> list[Record]:
        """One ACD event (console, button, traffic) through the same path as headset events."""
        return list(self.bridge.submit(event))

    def service(self) -> float:
        """Timers, buttons and indicator timing due now; real seconds until the next need.
        Raises `JournalError` once the journal writer has failed."""
        if self.acd.failure is not None:
            raise self.acd.failure
        records = self.acd.tick(self.clock())
        if records:
            self.bridge.apply(records)
        now = time.monotonic()
        for agent, button in self.buttons.items():
            for request in button.service(now, self.view(agent)):
                self.submit(request.to_event())
        waits = [MAX_SLEEP, self.clock.real_seconds_until(self.acd.next_deadline())]
        led_at = self.driver.tick(now)
        if led_at is not None:
            waits.append(max(0.0, led_at - now))
        if self.buttons:
            waits.append(BUTTON_POLL)
        return min(waits)

    async def run(self) -> None:
        """Call `service()` whenever it is due or something new happened, until cancelled."""
        while True:
            delay = self.service()
            self.wake.clear()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), delay)

    # -- outputs -----------------------------------------------------------------------------
    def _on_records(self, records: list[Record]) -> None:
        self.wake.set()  # a deadline may have moved
        desk_touched = False
        for record in records:
            agent = record.get("agent")
            if agent == self.desk_agent:
                desk_touched = True
                if record.type == "CALL_CONNECTED" and self.audio is not None:
                    settings = self.audio.start_call()
                    log.info("call audio for %s: %s", agent, settings)
            if record.type in ("CALL_ENDED", "OFFER_ENDED") and agent in self.muted:
                self.muted[agent] = False  # the handshake resets mute at hangup
                if agent == self.desk_agent and self.audio is not None:
                    self.audio.mute(False)  # or the next call's uplink would stay silent
        if desk_touched:
            self.refresh_indicators()

    def _on_durable(self, records: list[Record]) -> None:
        """Watchers hear of a record only once it is on disk."""
        for record in records:
            self.publish(record.to_dict())

    def _on_effect(self, agent: str, effect: Effect) -> None:
        self.effects.append((self.clock(), agent, effect))
        del self.effects[:-200]
        if isinstance(effect, MuteChanged):
            self.muted[agent] = effect.muted
            if agent == self.desk_agent:
                if self.audio is not None:
                    self.audio.mute(effect.muted)
                self.refresh_indicators()
            self.publish({"type": "MUTE", "t": self.clock(), "agent": agent, "muted": effect.muted})
        elif isinstance(effect, WriteReport):
            self.publish(
                {
                    "type": "HEADSET_WRITE",
                    "t": self.clock(),
                    "agent": agent,
                    "hex": effect.data.hex(),
                }
            )

    def publish(self, event: dict[str, Any]) -> None:
        for watcher in list(self.watchers):
            try:
                watcher(event)
            except Exception:  # a broken watcher must not stop the gateway
                log.exception("watcher failed; removed")
                self.watchers.remove(watcher)

    def view(self, agent: str) -> AgentView:
        """What the indicators need to know about `agent` (from the core and the headset)."""
        a = self.acd.state.agents[agent]
        return AgentView(
            status=a.status,
            reason=a.reason,
            ringing=a.offer is not None,
            in_call=a.call is not None,
            muted=self.muted.get(agent, False),
            logout_pending=a.logout_at is not None,
        )

    def pattern(self, agent: str) -> Pattern:
        return pattern_for(self.view(agent))

    def refresh_indicators(self) -> None:
        if self.desk_agent is not None and self.desk_agent in self.acd.state.agents:
            self.driver.apply(self.view(self.desk_agent), time.monotonic())

    def headsets(self) -> list[dict[str, Any]]:
        """Seats and unusable devices, as `gwctl hid list` shows them."""
        out: list[dict[str, Any]] = []
        for agent, seat in sorted(self.bridge.seats.items()):
            out.append(
                {
                    "agent": agent,
                    "path": seat.info.path,
                    "vid_pid": seat.info.vid_pid,
                    "product": seat.info.product,
                    "serial": seat.info.serial,
                    "connected": seat.connected,
                    "leds": sorted(seat.session.state.lit),
                    "muted": seat.session.state.muted,
                }
            )
        for path, why in sorted(self.bridge.skipped.items()):
            out.append({"agent": None, "path": path, "connected": False, "skipped": why})
        return out
