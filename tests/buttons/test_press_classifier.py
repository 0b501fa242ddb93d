"""Button timing with an injected clock: short, long, held, bouncing, glitches."""

from __future__ import annotations

import pytest

from firmware.buttons.classifier import Gesture, Press, PressClassifier


def feed(c: PressClassifier, edges: list[tuple[bool, float]], until: float) -> list[Press]:
    """Feed edges, then poll every 10 ms up to `until` (as the service loop would)."""
    out: list[Press] = []
    for level, at in edges:
        out += c.feed(level, at)
    t = edges[-1][1] if edges else 0.0
    while t <= until:
        out += c.poll(t)
        t = round(t + 0.01, 6)
    return out


def test_short_press() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    out = feed(c, [(True, 1.0), (False, 1.3)], until=5.0)
    assert out == [Press(Gesture.SHORT, at=1.3, held=pytest.approx(0.3))]


def test_bouncing_contacts_make_one_press() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    edges = [(True, 1.000), (False, 1.002), (True, 1.004), (False, 1.007), (True, 1.009)]
    edges += [(False, 1.500), (True, 1.503), (False, 1.505)]
    out = feed(c, edges, until=3.0)
    assert [p.gesture for p in out] == [Gesture.SHORT]
    assert out[0].held == pytest.approx(1.505 - 1.009)


def test_glitch_shorter_than_debounce_is_ignored() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    assert feed(c, [(True, 1.0), (False, 1.01)], until=4.0) == []
    assert not c.pressed


def test_long_press_fires_once_while_held_and_release_does_nothing() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    out = c.feed(True, 0.0)
    out += c.poll(1.99)
    assert out == []
    assert c.poll(2.0) == [Press(Gesture.LONG, at=2.0, held=2.0)]
    # Held for a minute: nothing repeats, and autorepeat-style "still pressed" levels are
    # not new presses.
    later = feed(c, [(True, 10.0), (True, 20.0)], until=60.0)
    later += feed(c, [(False, 60.0)], until=61.0)
    assert later == []


def test_long_press_time_is_configurable() -> None:
    c = PressClassifier(long_press=3.0, debounce=0.03)
    out = feed(c, [(True, 0.0), (False, 2.5)], until=4.0)
    assert [p.gesture for p in out] == [Gesture.SHORT]
    out = feed(c, [(True, 10.0)], until=13.0)
    assert out == [Press(Gesture.LONG, at=13.0, held=3.0)]


def test_release_just_before_the_long_time_is_short_even_if_polled_late() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    assert c.feed(True, 0.0) == []
    assert c.feed(False, 1.99) == []
    assert c.poll(2.0) == []  # release still settling: no LONG
    assert c.poll(2.02) == [Press(Gesture.SHORT, at=1.99, held=pytest.approx(1.99))]


def test_release_after_the_long_time_without_a_poll_is_long() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    c.feed(True, 0.0)
    c.poll(0.05)
    out = c.feed(False, 2.5) + c.poll(3.0)
    assert out == [Press(Gesture.LONG, at=2.0, held=2.0)]


def test_next_deadline_tells_the_loop_when_to_poll() -> None:
    c = PressClassifier(long_press=2.0, debounce=0.03)
    assert c.next_deadline() is None
    c.feed(True, 1.0)
    assert c.next_deadline() == pytest.approx(1.03)
    c.poll(1.03)
    assert c.next_deadline() == pytest.approx(3.0)
    c.poll(3.0)
    assert c.next_deadline() is None  # held after LONG: nothing more to say


def test_bad_timings_are_refused() -> None:
    with pytest.raises(ValueError, match="need 0 <= debounce < long_press"):
        PressClassifier(long_press=0.02, debounce=0.03)
