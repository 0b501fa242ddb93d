"""In-call rules (seed 002, the Webex agent desktop): hold and resume, consult, transfer,
conference, and what hanging up means during each. Event scripts in tests/data/acd/calls,
run through `deskgate replay`; each docstring quotes the seed sentence the rule comes from.

Config for all (calls.toml): queue Q with A (ready), B and C (unavailable), queue R with D;
ring_timeout 15, retry_delay 5, wrapup 30; every agent has a hook device.
"""

from __future__ import annotations

from typing import Any

from tests.acd.replaying import at, brief, of, replay, times

CONFIG = "calls/calls.toml"


def run(name: str) -> list[dict[str, Any]]:
    return replay(CONFIG, f"calls/{name}.jsonl")


ANSWERED_BY_A = [
    ("HOOK_CHANGED", "A", True),
    ("OFFER_ENDED", "A", "C1", "ANSWERED"),
    ("CALL_CONNECTED", "A", "C1"),
]


def test_hold_and_resume_and_flash_toggles() -> None:
    """Seed: "Vous pouvez mettre le client en attente pour consulter un autre agent ou rechercher
    des informations supplémentaires sur le client." — and the headset's Flash button holds
    and resumes (the issue)."""
    rec = run("hold_resume_flash")
    assert at(rec, 2) == ANSWERED_BY_A
    assert at(rec, 10) == [("HOLD_CHANGED", "C1", "customer", True)]
    assert [brief(r)[:2] for r in rec if r["t"] in (11, 21)] == [
        ("REJECTED", "ERR_ALREADY_HELD"),
        ("REJECTED", "ERR_NOT_HELD"),
    ]
    assert at(rec, 20) == [("HOLD_CHANGED", "C1", "customer", False)]
    assert at(rec, 30) == [("HOLD_CHANGED", "C1", "customer", True)]  # flash
    assert at(rec, 31) == [("HOLD_CHANGED", "C1", "customer", False)]  # flash again
    assert at(rec, 40) == [("HOLD_CHANGED", "C1", "customer", True)]


def test_the_end_button_is_disabled_on_hold_but_the_hook_still_hangs_up() -> None:
    """Seed: "L'état Appel en attente s'affiche en regard du minuteur. Le bouton de fin est
    désactivé." The handset going on-hook is a physical fact, so it still ends the call."""
    rec = run("hold_resume_flash")
    assert at(rec, 12) == [
        ("REJECTED", "ERR_ON_HOLD", 5, "call 'C1' is on hold: resume it to end it")
    ]
    assert at(rec, 50) == [
        ("HOOK_CHANGED", "A", False),
        ("CALL_ENDED", "C1", "A", "agent_hangup"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]


def test_consult_holds_the_customer_and_resume_swaps_the_parties() -> None:
    """Seed: "Lorsque vous êtes en consultation avec un autre agent, votre appel avec le client est
    automatiquement mis en attente. [...] Les deux appels ne peuvent pas être mis en attente
    simultanément." and "Cliquez sur Reprise pour mettre l'agent-conseil en attente et faire
    sortir le client de l'attente." """
    rec = run("consult_transfer")
    assert at(rec, 20) == [
        ("HOLD_CHANGED", "C1", "customer", True),
        ("CONSULT_STARTED", "A", "C1", "#cons8", "agent", "B"),
        ("OFFER_STARTED", "B", "#cons8"),
    ]
    assert at(rec, 23) == [
        ("HOOK_CHANGED", "B", True),
        ("OFFER_ENDED", "B", "#cons8", "ANSWERED"),
        ("CALL_CONNECTED", "B", "#cons8"),
    ]
    assert at(rec, 30) == [  # flash: back to the customer, the consulted party waits
        ("HOLD_CHANGED", "C1", "customer", False),
        ("HOLD_CHANGED", "C1", "consulted", True),
    ]
    assert at(rec, 35) == [  # resume: back to the consulted party
        ("HOLD_CHANGED", "C1", "consulted", False),
        ("HOLD_CHANGED", "C1", "customer", True),
    ]


def test_a_completed_transfer_ends_the_transferring_agents_call_and_starts_its_wrapup() -> None:
    """Seed: "L'agent 1 peut transférer un appel à l'agent 2. Lorsque la demande de transfert est
    initiée, la boîte de dialogue Motifs de traitement post-appel apparaît pour l'agent 1.
    L'appel se poursuit entre l'agent 2 et le client." """
    rec = run("consult_transfer")
    assert at(rec, 40) == [
        ("HOLD_CHANGED", "C1", "customer", False),
        ("TRANSFER_COMPLETED", "C1", "A", "B"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]
    assert at(rec, 41) == [("HOOK_CHANGED", "A", False)]  # A has nothing left to hang up
    assert at(rec, 70) == [("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_end", "system")]
    assert at(rec, 100)[:2] == [
        ("HOOK_CHANGED", "B", False),
        ("CALL_ENDED", "C1", "B", "agent_hangup"),
    ]
    assert times(rec, "STATUS_CHANGED", agent="B", reason="post_call") == [100]


def test_blind_transfer_rings_the_target_and_the_agent_wraps_up_at_once() -> None:
    """Seed: "Si vous voulez transférer l'appel immédiatement (transfert sans suivi) [...] La
    demande de transfert est lancée et la boîte de dialogue Raisons du post-appel apparaît." """
    rec = run("blind_transfer_accepted")
    assert at(rec, 20) == [
        ("TRANSFER_STARTED", "A", "C1", "agent", "B"),
        ("OFFER_STARTED", "B", "C1"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]
    assert at(rec, 24) == [
        ("HOOK_CHANGED", "B", True),
        ("OFFER_ENDED", "B", "C1", "ANSWERED"),
        ("CALL_CONNECTED", "B", "C1"),
    ]
    assert at(rec, 90) == [
        ("CALL_ENDED", "C1", "B", "remote_hangup"),
        ("STATUS_CHANGED", "B", "ready", "withdrawn", "post_call", "system"),
    ]


def test_a_blind_transfer_not_accepted_is_abandoned_and_counts_as_no_answer() -> None:
    """Seed: "L'appel est abandonné si l'agent cible (c'est-à-dire l'agent qui reçoit l'appel) ne
    l'accepte pas." — within the ring timeout, and it counts as the target's NO_ANSWER."""
    rec = run("blind_transfer_abandoned")
    assert at(rec, 35) == [
        ("OFFER_ENDED", "B", "C1", "NO_ANSWER"),
        ("COUNTER_CHANGED", "B", 1),
        ("CALL_ENDED", "C1", None, "transfer_abandoned"),
    ]
    assert not of(rec, "CALL_ENQUEUED", call="C1")[1:], "an abandoned transfer never requeues"
    assert at(rec, 50) == [("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_end", "system")]


def test_no_transfer_to_an_agent_in_wrapup_only_ready_agents() -> None:
    """Seed: "Vous ne pouvez pas transférer un appel à un agent qui est en état de post-appel." and
    "La liste déroulante affiche les noms des agents qui sont à l'état Disponible." """
    rec = run("transfer_to_wrapup_agent")
    assert [brief(r) for r in of(rec, "REJECTED")] == [
        (
            "REJECTED",
            "ERR_TARGET_UNAVAILABLE",
            7,
            "agent 'B' is withdrawn (post_call): only ready agents take a transfer",
        ),
        (
            "REJECTED",
            "ERR_TARGET_UNAVAILABLE",
            8,
            "agent 'B' is withdrawn (post_call): consult a ready or idle agent",
        ),
        ("REJECTED", "ERR_TARGET_UNAVAILABLE", 9, "agent 'A' is the agent asking"),
    ]
    assert at(rec, 23) == [  # D (queue R) is ready: a transfer may cross queues
        ("TRANSFER_STARTED", "A", "C1", "agent", "D"),
        ("OFFER_STARTED", "D", "C1"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]


def test_a_consulted_agent_who_does_not_answer_counts_no_answer_and_the_customer_stays_held() -> (
    None
):
    """Seed: "Si l'agent consulté ne répond pas à l'appel de consultation [...] le système modifie
    l'état de l'agent consulté en RONA." and "Si l'agent consulté n'accepte pas l'appel de
    consultation, l'agent qui lance l'appel de consultation reçoit un message d'échec". Until
    then: "Jusqu'à ce que l'agent consulté accepte l'appel de consultation, les boutons
    Transfert et Conférence sont désactivés"."""
    rec = run("consult_no_answer")
    assert [brief(r)[:2] for r in rec if r["t"] in (30, 31)] == [
        ("REJECTED", "ERR_CONSULT_NOT_ANSWERED"),
        ("REJECTED", "ERR_CONSULT_NOT_ANSWERED"),
    ]
    assert at(rec, 35) == [
        ("OFFER_ENDED", "B", "#cons8", "NO_ANSWER"),
        ("COUNTER_CHANGED", "B", 1),
        ("CALL_ENDED", "#cons8", None, "consult_failed"),
    ]
    held = [r["held"] for r in of(rec, "HOLD_CHANGED", party="customer")]
    assert held == [True, False] and times(rec, "HOLD_CHANGED") == [20, 50]  # held until 50


def test_hanging_up_the_phone_during_a_consult_ends_the_consult_leg_only() -> None:
    """Seed: "L'agent 1 peut mettre fin à un appel de consultation en cliquant sur le bouton terminer
    la consultation ou en raccrochant le téléphone physique." — the consult leg only (the
    issue): the customer stays, on hold, with agent 1. B, consulted while idle (break)."""
    rec = run("consult_hangup_phone")
    assert at(rec, 20)[1] == ("CONSULT_STARTED", "A", "C1", "#cons8", "agent", "B")
    assert at(rec, 30) == [
        ("HOOK_CHANGED", "A", False),
        ("CALL_ENDED", "#cons8", "B", "agent_hangup"),
    ]
    assert at(rec, 32) == [("HOLD_CHANGED", "C1", "customer", False)]
    assert at(rec, 60)[0] == ("CALL_ENDED", "C1", "A", "remote_hangup")
    assert not of(rec, "STATUS_CHANGED", agent="B", reason="post_call")


def test_conference_takes_everyone_off_hold_and_the_host_leaving_hands_over() -> None:
    """Seed: "Cliquez sur Conférence pour établir une communication tripartite entre vous, le client
    et l'agent-conseil." and "Suspendre l'enregistrement et reprendre l'enregistrement Les
    fonctions ne fonctionnent pas pendant les conférences et les appels de consultation." """
    rec = run("conference")
    assert at(rec, 25) == [
        ("HOLD_CHANGED", "C1", "customer", False),
        ("CONFERENCE_STARTED", "A", "C1", "#cons8"),
    ]
    assert [brief(r)[:2] for r in rec if r["t"] in (26, 27)] == [
        ("REJECTED", "ERR_IN_CONFERENCE"),
        ("REJECTED", "ERR_RECORDING_LOCKED"),
    ]
    assert at(rec, 40) == [
        ("HOOK_CHANGED", "A", False),
        ("TRANSFER_COMPLETED", "C1", "A", "B"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]
    assert at(rec, 80)[0] == ("CALL_ENDED", "C1", "B", "remote_hangup")


def test_the_consulted_agent_cannot_hold_and_leaving_returns_the_call_to_agent_1() -> None:
    """Seed: "L'agent 2 ne peut pas reprendre ou mettre fin à un appel de consultation." and
    "L'agent 2 peut mettre fin à un appel de consultation en cliquant sur le bouton quitter
    la consultation , et l'appel se poursuit entre l'agent 1 et le client." """
    rec = run("conference_consulted_leaves")
    assert at(rec, 23) == [("REJECTED", "ERR_CONSULTED", 6, "agent 'B' is the consulted party")]
    assert at(rec, 40) == [
        ("HOOK_CHANGED", "B", False),
        ("CALL_ENDED", "#cons8", "B", "agent_hangup"),
    ]
    assert at(rec, 41) == [("HOLD_CHANGED", "C1", "customer", True)]  # A's call again


def test_a_customer_leaving_during_a_consult_ends_it_without_post_call_for_agent_2() -> None:
    """Seed: "Si le client abandonne un appel de consultation, l'interaction se termine. L'agent 2
    est retiré de l'appel sans post-appel." and "la boîte de dialogue Raisons du post-appel
    apparaît pour l'agent 1." """
    rec = run("customer_leaves_during_consult")
    assert at(rec, 30) == [
        ("CALL_ENDED", "#cons8", "B", "customer_ended"),
        ("CALL_ENDED", "C1", "A", "remote_hangup"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]
    assert not of(rec, "STATUS_CHANGED", agent="B", reason="post_call")


def test_consult_a_queue_then_a_number_and_transfer_to_it() -> None:
    """Seed: "Choisissez l'une des options suivantes pour consulter l'agent, la file d'attente,
    l'organisation ou le numéro composé" and "le Agent Desktop ne conserve que les caractères
    spéciaux pris en charge et supprime tous les autres caractères spéciaux ou lettres"."""
    rec = run("consult_queue_and_number")
    assert at(rec, 10) == [
        ("HOLD_CHANGED", "C1", "customer", True),
        ("CONSULT_STARTED", "A", "C1", "#cons7", "queue", "R"),
        ("OFFER_STARTED", "D", "#cons7"),  # the agent queue R's strategy picks now
    ]
    assert at(rec, 15) == [("CALL_ENDED", "#cons7", "D", "consult_ended")]
    assert at(rec, 16) == [  # the customer is still held: no second HOLD_CHANGED
        ("CONSULT_STARTED", "A", "C1", "#cons13", "number", "+14155550100")
    ]
    assert at(rec, 20) == [
        ("HOLD_CHANGED", "C1", "customer", False),
        ("CALL_ENDED", "#cons13", None, "transferred"),
        ("CALL_ENDED", "C1", "A", "transferred"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]


def test_blind_transfer_to_a_queue_then_to_a_number() -> None:
    """Seed: "File d'attente : vous pouvez soit sélectionner le point d'entrée ou la file d'attente
    requis" — the call queues again (keeping its priority) and is distributed there."""
    rec = run("blind_transfer_queue_number")
    assert at(rec, 20) == [
        ("TRANSFER_STARTED", "A", "C1", "queue", "R"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
        ("OFFER_STARTED", "D", "C1"),
    ]
    assert at(rec, 30) == [
        ("TRANSFER_STARTED", "D", "C1", "number", "5550199"),
        ("CALL_ENDED", "C1", None, "transferred"),
        ("STATUS_CHANGED", "D", "ready", "withdrawn", "post_call", "system"),
    ]


def test_in_call_events_need_a_connected_call(tmp_path: Any) -> None:
    events = [
        {"t": 0, "event": "hold", "agent": "A"},
        {"t": 0, "event": "consult", "agent": "A", "to": "agent", "target": "B"},
        {"t": 0, "event": "consult", "agent": "A", "to": "desk", "target": "B"},
        {"t": 0, "event": "transfer", "agent": "A", "target": "B"},
        {"t": 0, "event": "flash", "agent": "Z"},
        {"t": 0, "event": "call_arrived", "call": "C1", "queue": "Q"},
        {"t": 1, "event": "flash", "agent": "A"},  # ringing, not connected
    ]
    rec = replay(CONFIG, events, tmp_path)
    assert [brief(r)[1] for r in of(rec, "REJECTED")] == [
        "ERR_NO_CALL",
        "ERR_NO_CALL",
        "ERR_BAD_TARGET",
        "ERR_MALFORMED",
        "ERR_UNKNOWN_AGENT",
        "ERR_NO_CALL",
    ]


def test_a_refused_or_unreachable_consult_fails_and_only_the_refusal_counts(tmp_path: Any) -> None:
    """Seed: "Si l'agent consulté n'accepte pas l'appel de consultation, l'agent qui lance
    l'appel de consultation reçoit un message d'échec de l'appel de consultation." A refusal
    counts like REFUSED (DESIGN.md 2.3); an unplugged headset (UNREACHABLE) does not."""
    events = [
        {"t": 0, "event": "call_arrived", "call": "C1", "queue": "Q"},
        {"t": 2, "event": "hook", "agent": "A", "off_hook": True},
        {"t": 3, "event": "set_status", "agent": "B", "status": "ready", "reason": "manual"},
        {"t": 4, "event": "consult", "agent": "A", "to": "agent", "target": "B"},
        {"t": 6, "event": "refuse", "agent": "B"},
        {"t": 7, "event": "consult", "agent": "A", "to": "queue", "target": "R"},
        {"t": 8, "event": "device", "agent": "D", "connected": False},
    ]
    rec = replay(CONFIG, events, tmp_path)
    assert at(rec, 6) == [
        ("OFFER_ENDED", "B", "#cons8", "REFUSED"),
        ("COUNTER_CHANGED", "B", 1),
        ("CALL_ENDED", "#cons8", None, "consult_failed"),
    ]
    assert at(rec, 7) == [  # the customer is still held from the first consult
        ("CONSULT_STARTED", "A", "C1", "#cons13", "queue", "R"),
        ("OFFER_STARTED", "D", "#cons13"),
    ]
    assert at(rec, 8) == [
        ("DEVICE_CHANGED", "D", False),
        ("OFFER_ENDED", "D", "#cons13", "UNREACHABLE"),
        ("CALL_ENDED", "#cons13", None, "consult_failed"),
    ]


def test_a_held_consulted_agent_hanging_up_is_taken_off_hold_first() -> None:
    """Regression (found by test_properties_calls): the consulted party, held after a swap,
    hangs up; the journal must say the hold ended, or a rebuilt state would disagree with
    what the records say. Seed: "Les deux appels ne peuvent pas être mis en attente
    simultanément." """
    rec = run("consulted_hangs_up_while_held")
    assert ("HOLD_CHANGED", "C1", "consulted", True) in at(rec, 24)
    assert at(rec, 30)[:3] == [
        ("HOOK_CHANGED", "B", False),
        ("HOLD_CHANGED", "C1", "consulted", False),
        ("CALL_ENDED", "#cons8", "B", "agent_hangup"),
    ]
