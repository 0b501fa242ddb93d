"""Rebuilding the ACD state from a journal, and the service's restart on top of it."""

from __future__ import annotations

from collections.abc import Iterable

from firmware.acd import events as ev
from firmware.acd.core import initial_state, step
from firmware.acd.eligibility import refresh
from firmware.acd.evolve import apply
from firmware.acd.params import AcdParams
from firmware.acd.records import Record
from firmware.acd.state import AcdState
from firmware.journal.store import Journal, JournalError


def rebuild(params: AcdParams, records: Iterable[Record]) -> AcdState:
    """The state the core had after the last of `records` (applied in order)."""
    state = initial_state(params)
    for record in records:
        try:
            apply(state, record)
        except (KeyError, ValueError, AssertionError) as exc:
            raise JournalError(
                f"record {record.seq} ({record.type}) does not fit this configuration or the "
                f"records before it: {exc!r}"
            ) from None
    for agent in state.agents.values():
        refresh(state, agent)  # retry delays that ran out without a record
    return state


def recover(params: AcdParams, journal: Journal) -> tuple[AcdState, list[Record]]:
    """Rebuild from `journal`, then restart: in-flight offers end CANCELLED and live calls end
    (reason restart), durably, before the service reports anything. The clock goes on from
    the last record, so wrap-up and logout time remaining is kept across the downtime.
    Running it again after a crash finds nothing in flight: each offer is cancelled once."""
    state = rebuild(params, journal.records())
    state, records = step(state, ev.Restart(), state.now)
    journal.append(records)
    return state, records
