"""Callbacks and the callback campaign's contact rule (seeds 002 and 004), and the site-wide
maximum of simultaneous calls. Event scripts in tests/data/acd/callbacks (callbacks.toml:
queue Q with A ready and B unavailable, no hook devices, wrapup 10; campaigns CB, OPS, CAL)."""

from __future__ import annotations

from typing import Any

from tests.acd.replaying import at, brief, of, replay

CONFIG = "callbacks/callbacks.toml"


def run(name: str, config: str = CONFIG) -> list[dict[str, Any]]:
    return replay(config, f"callbacks/{name}.jsonl")


def test_a_callback_queues_behind_an_older_call_and_power_mode_reserves_the_agent() -> None:
    """Seed: "Les demandes de rappel de courtoisie vous sont acheminées comme des demandes d'appels
    entrants." and "Dans ce mode de numérotation, un agent est d'abord « réservé », tandis
    que GCC établit la communication avec le contact sortant" """
    rec = run("power_retry")
    assert at(rec, 0)[1] == (
        "CALLBACK_SCHEDULED", "K1", "CB", "Q", "+33123456789", 0, 10, None
    )  # fmt: skip
    assert at(rec, 10) == [("CALLBACK_QUEUED", "K1")]
    assert at(rec, 20)[1] == ("OFFER_STARTED", "A", "C1")  # C1 (t=5) ranks before K1 (t=10)
    assert at(rec, 35) == [
        ("WRAPUP_REASON", "A", "done", "user"),
        ("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_submitted", "user"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "reserved", "system"),
        ("CALLBACK_DIALING", "A", "K1", "+33123456789", 1),
    ]


def test_a_customer_who_does_not_answer_sends_the_callback_back_and_the_agent_is_released() -> None:
    """Seed: "Si le client ne répond pas à l'appel, l'appel est renvoyé à la file d'attente." and
    the power-mode agent goes back to its previous status (the issue)."""
    rec = run("power_retry")
    assert at(rec, 45) == [
        ("CALLBACK_FAILED", "K1", "A", "busy", 1),
        ("STATUS_CHANGED", "A", "withdrawn", "ready", "released", "system"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "reserved", "system"),
        ("CALLBACK_DIALING", "A", "K1", "+33123456789", 2),
    ]
    assert at(rec, 50) == [
        ("CALL_CONNECTED", "A", "K1"),
        ("STATUS_CHANGED", "A", "withdrawn", "ready", "released", "system"),
    ]
    assert at(rec, 80) == [
        ("CALL_ENDED", "K1", "A", "agent_hangup"),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system"),
    ]


def test_the_retry_budget_and_operational_errors_that_do_not_count() -> None:
    """Seed: "4- Vous pouvez choisir le nombre de rappels que votre agent peut effectuer
    manuellement si pas de réponse de la part du client." and "7 – [...] Si l'appel tombe en
    « erreur de fonctionnement » l'activation permettra de le mesurer." (off for CB: a network
    error is not counted). The customer has 20 s to answer (customer_ring_timeout)."""
    rec = run("retries_exhausted")
    failed = [brief(r)[1:] for r in of(rec, "CALLBACK_FAILED")]
    assert failed == [
        ("K1", "A", "network_error", 0),
        ("K1", "A", "no_answer", 1),  # 20 s after the second dial at 5
        ("K1", "A", "busy", 2),
    ]
    assert [r["t"] for r in of(rec, "CALLBACK_FAILED")] == [5, 25, 30]
    assert [r["attempt"] for r in of(rec, "CALLBACK_DIALING")] == [1, 2, 3]
    assert at(rec, 30)[-1] == ("CALL_ENDED", "K1", None, "retries_exhausted")


def test_operational_errors_count_when_enabled_and_priority_order_is_switchable() -> None:
    """Seed: "6- [...] La valeur de ce champs peut être définie entre 0 et 255, (255 étant la
    priorité maximale)). Si vous activez l'option. Les clients seront rappelés par ordre de
    priorité." OPS has it off (K2's 200 does not count) and counts operational errors; it is
    not in power mode (no reservation)."""
    rec = run("ops_and_order")
    order = [r["call"] for r in rec if r["type"] in ("CALLBACK_DIALING", "OFFER_STARTED")]
    assert order == ["K3", "C1", "K1", "K1", "K2"]  # 100, 50, then first come first served
    assert at(rec, 51) == [
        ("CALLBACK_FAILED", "K1", "A", "network_error", 1),
        ("CALLBACK_DIALING", "A", "K1", "0123456789", 2),
    ]
    assert at(rec, 52) == [
        ("CALLBACK_FAILED", "K1", "A", "invalid_number", 2),
        ("CALL_ENDED", "K1", None, "retries_exhausted"),
        ("CALLBACK_DIALING", "A", "K2", "0123456789", 1),
    ]
    assert not of(rec, "STATUS_CHANGED", reason="reserved", t=50)
    assert at(rec, 60) == [
        ("REJECTED", "ERR_NOT_DIALING", 14, "callback 'K2' is not being dialled")
    ]


def test_maximum_pending_personal_callbacks_per_agent() -> None:
    """Seed: "2- C'est le nombre maximum de rappels par agent." (2 for CB)."""
    rec = run("personal_limit")
    assert at(rec, 3) == [
        (
            "REJECTED",
            "ERR_CALLBACK_LIMIT",
            4,
            "agent 'A' has 2 pending callbacks (at most 2 in campaign 'CB')",
        )
    ]
    assert at(rec, 5) == [("CALL_ENDED", "K1", None, "cancelled")]
    assert of(rec, "CALLBACK_SCHEDULED", call="K5", owner="A")  # room again after the cancel
    assert [brief(r)[1] for r in of(rec, "REJECTED")] == [
        "ERR_CALLBACK_LIMIT",
        "ERR_UNKNOWN_CAMPAIGN",
        "ERR_NUMBER_LENGTH",
    ]


def test_the_calendar_moves_a_due_time_to_the_next_open_instant() -> None:
    """Seed: "Il vous faudra renseigner la date de début et de fin du rappel client, ainsi que les
    heures et jours spéciaux (si jour férié ou autre)" — evaluated on the wall clock, which
    the core learns from `wall_clock` (t=0 is Monday 2026-11-23 08:00)."""
    rec = run("calendar_due")
    assert [brief(r)[1] for r in of(rec, "REJECTED")] == [
        "ERR_NO_WALL_CLOCK",
        "ERR_BAD_TIME",
        "ERR_CAMPAIGN_CLOSED",  # 2026-12-01 is after the end date
    ]
    assert [(r["call"], r["due"]) for r in of(rec, "CALLBACK_SCHEDULED")] == [
        ("K1", 3_600),  # 08:00 -> 09:00
        ("K2", 21_600),  # 12:30 -> 14:00
        ("K3", 176_400),  # Monday 18:00 -> Wednesday 09:00 (Tuesday is closed)
    ]
    assert [(r["t"], r["call"]) for r in of(rec, "CALLBACK_QUEUED")] == [
        (3_600, "K1"),
        (21_600, "K2"),
        (176_400, "K3"),
    ]


def test_a_retry_due_outside_the_hours_waits_for_the_next_opening() -> None:
    """Issue: "a callback due outside the hours waits for the next open instant" (the issue): the
    retry an hour after 11:30:30 falls at 12:30:30, so it waits for 14:00."""
    rec = run("calendar_retry")
    assert at(rec, 3630) == [("CALLBACK_DEFERRED", "K1", 9000)]
    assert [r["t"] for r in of(rec, "CALLBACK_DIALING")] == [0, 9000, 12630]
    assert rec[-1]["t"] == 12660 and rec[-1]["reason"] == "retries_exhausted"


def test_a_callback_waiting_when_the_calendar_closes_is_not_dialled() -> None:
    """A callback queued at 09:00 that an agent could take only at 13:00 waits for 14:00; the
    callback behind it (another campaign, no calendar) is dialled meanwhile."""
    rec = run("calendar_closes_while_waiting")
    assert at(rec, 18_000)[1:] == [
        ("CALLBACK_DEFERRED", "K1", 21_600),
        ("STATUS_CHANGED", "A", "ready", "withdrawn", "reserved", "system"),
        ("CALLBACK_DIALING", "A", "K2", "0123456789", 1),
    ]
    assert at(rec, 21_600) == [("CALLBACK_QUEUED", "K1")]


def test_site_maximum_of_simultaneous_calls() -> None:
    """Seed: "Si le centre de contact a atteint la limite maximale d'appels simultanés [...] vous ne
    pouvez pas passer d'autres appels et les codes raison correspondants s'affichent" — and
    inbound arrivals overflow (the issue). maxcalls.toml: 2 lines."""
    rec = run("maxcalls", "callbacks/maxcalls.toml")
    assert at(rec, 2) == [("CALL_OVERFLOW", "C3", "MAX_CALLS")]
    assert at(rec, 3) == [
        ("REJECTED", "ERR_MAX_CALLS", 6, "the site is at its maximum of simultaneous calls")
    ]
    assert at(rec, 5) == [("STATUS_CHANGED", "C", "unavailable", "ready", "manual", "user")]
    assert at(rec, 30) == [  # a line is free: the waiting callback is dialled
        ("CALL_ENDED", "C1", "A", "agent_hangup"),
        ("STATUS_CHANGED", "C", "ready", "withdrawn", "reserved", "system"),
        ("CALLBACK_DIALING", "C", "K1", "5550100", 1),
    ]
