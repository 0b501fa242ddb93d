"""A fake state button for tests and the simulated board: edges are scheduled, then read."""

from __future__ import annotations

from firmware.buttons.source import ButtonGone, KeyEdge


class FakeButtonSource:
    """Edges queued with `press`/`release`/`bounce` come out of `read(now)` once `now` has
    reached them. `unplug()` makes `read` and `reopen` raise `ButtonGone`."""

    def __init__(self) -> None:
        self._queue: list[KeyEdge] = []
        self.present = True

    def press(self, at: float) -> None:
        self._add(KeyEdge(True, at))

    def release(self, at: float) -> None:
        self._add(KeyEdge(False, at))

    def bounce(self, pressed: bool, at: float, flips: int = 3, gap: float = 0.002) -> None:
        """A bouncing contact settling on `pressed`: 2*flips alternating edges `gap` apart
        ending on `pressed`, starting at `at`."""
        t = at
        for _ in range(flips):
            self._add(KeyEdge(pressed, t))
            self._add(KeyEdge(not pressed, t + gap))
            t += 2 * gap
        self._add(KeyEdge(pressed, t))

    def click(self, at: float, held: float) -> None:
        self.press(at)
        self.release(at + held)

    def unplug(self) -> None:
        self.present = False

    def plug(self) -> None:
        self.present = True

    def fileno(self) -> int:
        return -1

    def read(self, now: float) -> list[KeyEdge]:
        if not self.present:
            raise ButtonGone("fake button: unplugged")
        due = [e for e in self._queue if e.at <= now]
        self._queue = [e for e in self._queue if e.at > now]
        return due

    def next_edge(self) -> float | None:
        return self._queue[0].at if self._queue else None

    def reopen(self) -> None:
        if not self.present:
            raise ButtonGone("fake button: unplugged")

    def close(self) -> None:
        pass

    def _add(self, edge: KeyEdge) -> None:
        self._queue.append(edge)
        self._queue.sort(key=lambda e: e.at)
