"""After-call and recording rules (seed 002): wrap-up reason codes, and pausing the call
recording with an automatic resume after the site's configured duration.

Every pause and resume is journaled with its origin: `user` or `supervisor` for a request,
`system` for the automatic resume (a `recording` timer in `core`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.calls import known_agent, own_call
from firmware.acd.state import Call
from firmware.acd.transitions import Rejected, Step, manual_status


def wrapup_reason(step: Step, e: ev.WrapupReason) -> None:
    """Submit the post-call reason: it is journaled and ends the wrap-up at once."""
    agent = known_agent(step, e.agent)
    if not (agent.status == "withdrawn" and agent.reason == "post_call"):
        raise Rejected("ERR_NOT_IN_WRAPUP", f"agent {e.agent!r} is not in post-call wrap-up")
    codes = step.state.params.wrapup_reasons
    if codes and e.code not in codes:
        raise Rejected("ERR_UNKNOWN_WRAPUP_REASON", f"{e.code!r} is not one of: {', '.join(codes)}")
    step.emit("WRAPUP_REASON", agent=agent.id, code=e.code, origin=e.by)
    manual_status(step, agent, "ready", "wrapup_submitted", e.by)


def _recordable(step: Step, agent_id: str) -> Call:
    call = own_call(step, known_agent(step, agent_id))
    if call.consult is not None or call.conference:
        # "Suspendre l'enregistrement et reprendre l'enregistrement Les fonctions ne
        # fonctionnent pas pendant les conférences et les appels de consultation."
        raise Rejected("ERR_RECORDING_LOCKED", "not during a consult or a conference")
    return call


def recording_pause(step: Step, e: ev.RecordingPause) -> None:
    call = _recordable(step, e.agent)
    if call.rec_paused:
        raise Rejected("ERR_ALREADY_PAUSED", f"the recording of {call.id!r} is paused already")
    step.emit("RECORDING_PAUSED", agent=e.agent, call=call.id, origin=e.by)


def recording_resume(step: Step, e: ev.RecordingResume) -> None:
    call = _recordable(step, e.agent)
    if not call.rec_paused:
        raise Rejected("ERR_NOT_PAUSED", f"the recording of {call.id!r} is not paused")
    step.emit("RECORDING_RESUMED", agent=e.agent, call=call.id, origin=e.by)


HANDLERS_RECORDING: dict[type[ev.Event], Callable[[Step, Any], None]] = {
    ev.WrapupReason: wrapup_reason,
    ev.RecordingPause: recording_pause,
    ev.RecordingResume: recording_resume,
}
