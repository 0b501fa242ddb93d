"""Call-associated data (CAD) variables (seed 002): edited during a call by the agent who has
it, values up to 256 characters, secure variables masked, concurrent saves versioned.

A secure variable's value never enters the core: records, the state (and so `deskgate
journal state`, the console and a diagnostics bundle built from them) only ever hold
`SECURE_MASK`. The service hands the real value to the phone side straight from the event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.acd import events as ev
from firmware.acd.calls import known_agent, own_call
from firmware.acd.transitions import Rejected, Step

MAX_VALUE_LENGTH = 256  # "Vous pouvez saisir ou coller jusqu'à 256 caractères"
SECURE_MASK = "****"


def cad_set(step: Step, e: ev.CadSet) -> None:
    """Save a value made from `version`: a stale version is rejected, and the editor is told
    the saved value (CAD_CONFLICT); a value too long is rejected, the stored one unchanged."""
    agent = known_agent(step, e.agent)
    call = own_call(step, agent)  # "L'agent consulté ne peut pas modifier de variables."
    var = step.state.params.cad_variable(e.name)
    if var is None:
        raise Rejected("ERR_UNKNOWN_CAD", f"unknown call-associated variable {e.name!r}")
    if not var.editable:
        raise Rejected("ERR_CAD_READ_ONLY", f"variable {e.name!r} is not editable")
    if len(e.value) > MAX_VALUE_LENGTH:  # the detail gives the length, never the value
        raise Rejected(
            "ERR_CAD_TOO_LONG",
            f"{len(e.value)} characters for {e.name!r}; a value holds {MAX_VALUE_LENGTH} at most",
        )
    saved, version = call.cad.get(e.name, ("", 0))
    if e.version != version:
        step.emit(
            "REJECTED",
            error="ERR_CAD_STALE",
            line=e.line,
            detail=f"{e.name!r} was edited from version {e.version}; version {version} is saved",
        )
        step.emit(
            "CAD_CONFLICT", agent=agent.id, call=call.id, name=e.name, value=saved, version=version
        )
        return
    shown = SECURE_MASK if var.secure else e.value
    step.emit(
        "CAD_CHANGED", agent=agent.id, call=call.id, name=e.name, value=shown, version=version + 1
    )


HANDLERS_CAD: dict[type[ev.Event], Callable[[Step, Any], None]] = {ev.CadSet: cad_set}
