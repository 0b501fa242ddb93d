"""The callback campaign calendar (seed 004): start and end dates, daily hours, closed days.

Pure date arithmetic on naive local wall-clock times, counted as seconds since 1970-01-01
00:00 of that local time (no time zone, no daylight saving: the service hands the core its
local wall time with the `wall_clock` event, and the core never reads a clock).
"""

from __future__ import annotations

import datetime as dt

from firmware.acd.params import Calendar

_EPOCH = dt.datetime(1970, 1, 1)
_DAY = 86_400.0
SEARCH_DAYS = 800  # how far ahead the next open instant is looked for


class CalendarError(ValueError):
    """A wall-clock time that is not ISO 8601 (`YYYY-MM-DDTHH:MM[:SS]`)."""


def wall_seconds(text: str) -> float:
    """`YYYY-MM-DDTHH:MM[:SS]` (naive local time) as seconds since the local epoch."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CalendarError(f"{text!r} is not a wall-clock time (YYYY-MM-DDTHH:MM:SS)") from None
    if when.tzinfo is not None:
        raise CalendarError(f"{text!r}: give the local time without a zone offset")
    return (when - _EPOCH).total_seconds()


def wall_text(seconds: float) -> str:
    return (_EPOCH + dt.timedelta(seconds=seconds)).isoformat()


def _open_day(cal: Calendar, day: dt.date) -> bool:
    return (
        (cal.start is None or day >= cal.start)
        and (cal.end is None or day <= cal.end)
        and day not in cal.closed
    )


def next_open(cal: Calendar, wall: float) -> float | None:
    """The first instant at or after `wall` (local seconds) when the calendar is open, or
    None if it never opens again (after its end date, or nothing open for SEARCH_DAYS)."""
    day_start = wall - wall % _DAY
    for i in range(SEARCH_DAYS):
        base = day_start + i * _DAY
        day = (_EPOCH + dt.timedelta(seconds=base)).date()
        if cal.end is not None and day > cal.end:
            return None
        if not _open_day(cal, day):
            continue
        for start, end in sorted(cal.hours):
            lo, hi = base + start * 60.0, base + end * 60.0
            if wall < hi:
                return max(wall, lo)
    return None
