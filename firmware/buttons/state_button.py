"""The state button as the gateway service uses it: source → classifier → requests."""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.buttons.classifier import Press, PressClassifier
from firmware.buttons.evdev_source import EvdevButtonSource
from firmware.buttons.fake import FakeButtonSource
from firmware.buttons.rules import Request, request_for
from firmware.buttons.source import ButtonGone, ButtonSource
from firmware.config.indicators import IndicatorsConfig
from firmware.indicators.board import ButtonEntry
from firmware.indicators.patterns import AgentView

log = logging.getLogger("deskgate.button")


class StateButton:
    """Reads the button, classifies presses and maps them to ACD requests for `agent`.

    Never raises `ButtonGone`: a vanished device is reported once and retried every
    `retry_every` seconds while the service goes on.
    """

    def __init__(
        self,
        source: ButtonSource,
        classifier: PressClassifier,
        agent: str,
        report: Callable[[str], None] = log.warning,
        retry_every: float = 2.0,
    ) -> None:
        self._source = source
        self._classifier = classifier
        self._agent = agent
        self._report = report
        self._retry_every = retry_every
        self._retry_at: float | None = None
        self.presses: list[Press] = []  # every gesture seen, for `show` and tests

    def service(self, now: float, view: AgentView) -> list[Request]:
        """Call when the source is readable or `next_deadline` has passed."""
        gestures: list[Press] = []
        if self._retry_at is not None:
            if now < self._retry_at:
                return []
            try:
                self._source.reopen()
            except ButtonGone:
                self._retry_at = now + self._retry_every
                return []
            self._retry_at = None
            self._report("state button is back")
        try:
            edges = self._source.read(now)
        except ButtonGone as exc:
            self._retry_at = now + self._retry_every
            self._report(f"state button unavailable, retrying every {self._retry_every:g} s: {exc}")
            edges = []
        for edge in edges:
            gestures.extend(self._classifier.feed(edge.pressed, edge.at))
        gestures.extend(self._classifier.poll(now))
        self.presses.extend(gestures)
        requests = [request_for(g.gesture, view, self._agent) for g in gestures]
        return [r for r in requests if r is not None]

    def next_deadline(self) -> float | None:
        times = [t for t in (self._classifier.next_deadline(), self._retry_at) if t is not None]
        return min(times) if times else None


def _evdev(entry: ButtonEntry) -> ButtonSource:
    if not entry.device:
        raise ValueError("button backend 'evdev' needs `device` (a path or an input name)")
    return EvdevButtonSource(entry.device, entry.key)


# Board button backends → source builders ("none": the board has no state button).
SOURCES: dict[str, Callable[[ButtonEntry], ButtonSource]] = {
    "evdev": _evdev,
    "fake": lambda entry: FakeButtonSource(),
}


def build_button(
    entry: ButtonEntry,
    config: IndicatorsConfig,
    agent: str,
    report: Callable[[str], None] = log.warning,
) -> StateButton | None:
    """The state button a board describes, timed by the `[indicators]` config; None when the
    board has none. Raises ValueError for an incomplete entry, ButtonGone for an unknown key
    name. Opening the device is left to
    the first `service` call, so a missing device is reported and retried, not fatal."""
    if entry.backend == "none":
        return None
    source = SOURCES[entry.backend](entry)
    classifier = PressClassifier(long_press=config.long_press, debounce=config.debounce)
    return StateButton(source, classifier, agent, report, retry_every=config.retry_every)
