"""Call-associated data (seed 002): 256-character values, secure variables masked
everywhere, versioned concurrent saves (calls.toml: `case`, secure `card`, read-only
`dnis`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acd.replaying import at, of, replay

CONFIG = "calls/calls.toml"
ANSWERED = [
    {"t": 0, "event": "call_arrived", "call": "C1", "queue": "Q"},
    {"t": 2, "event": "hook", "agent": "A", "off_hook": True},
]


def test_saves_are_versioned_and_a_stale_save_tells_the_editor_the_new_value() -> None:
    """Seed: "si plusieurs agents modifient simultanément la même valeur de variable CAD, les
    modifications enregistrées sont affichées en premier et un message est envoyé à l'autre
    agent." And "L'agent consulté ne peut pas modifier de variables." """
    rec = replay(CONFIG, "calls/cad.jsonl")
    assert at(rec, 5) == [("CAD_CHANGED", "A", "C1", "case", "CASE-1", 1)]
    assert at(rec, 7) == [("REJECTED", "ERR_CAD_READ_ONLY", 6, "variable 'dnis' is not editable")]
    assert at(rec, 8) == [
        ("REJECTED", "ERR_UNKNOWN_CAD", 7, "unknown call-associated variable 'colour'")
    ]
    assert at(rec, 12) == [("REJECTED", "ERR_CONSULTED", 10, "agent 'B' is the consulted party")]
    # after the transfer B owns the call; B saves from version 1 (it read CASE-1)
    assert at(rec, 16) == [("CAD_CHANGED", "B", "C1", "case", "CASE-2", 2)]
    # a second editor still holding version 1 is refused and shown the saved value
    assert at(rec, 17) == [
        ("REJECTED", "ERR_CAD_STALE", 13, "'case' was edited from version 1; version 2 is saved"),
        ("CAD_CONFLICT", "B", "C1", "case", "CASE-2", 2),
    ]


def test_a_secure_value_is_masked_in_every_record() -> None:
    """Seed: "Votre administrateur peut marquer les variables contenant des informations sensibles
    [...] comme sécurisées." — shown as **** everywhere (the issue)."""
    rec = replay(CONFIG, "calls/cad.jsonl")
    assert at(rec, 6) == [("CAD_CHANGED", "A", "C1", "card", "****", 1)]
    assert at(rec, 18)[1] == ("CAD_CONFLICT", "B", "C1", "card", "****", 1)
    text = "\n".join(json.dumps(r) for r in rec)
    assert "4111111111111111" not in text and "5500000000000004" not in text


def test_a_value_over_256_characters_is_rejected_and_the_stored_value_kept(
    tmp_path: Path,
) -> None:
    """Seed: "Vous pouvez saisir ou coller jusqu'à 256 caractères pour une valeur de variable
    CAD." """
    events = [
        *ANSWERED,
        {"t": 3, "event": "cad_set", "agent": "A", "name": "case", "value": "x" * 256,
         "version": 0},
        {"t": 4, "event": "cad_set", "agent": "A", "name": "case", "value": "y" * 257,
         "version": 1},
        {"t": 5, "event": "cad_set", "agent": "A", "name": "card", "value": "7" * 300,
         "version": 0},
        {"t": 6, "event": "cad_set", "agent": "A", "name": "case", "value": "z", "version": 1},
    ]  # fmt: skip
    rec = replay(CONFIG, events, tmp_path)
    assert at(rec, 3) == [("CAD_CHANGED", "A", "C1", "case", "x" * 256, 1)]
    assert at(rec, 4) == [
        (
            "REJECTED",
            "ERR_CAD_TOO_LONG",
            4,
            "257 characters for 'case'; a value holds 256 at most",
        )
    ]
    assert at(rec, 5)[0][1] == "ERR_CAD_TOO_LONG" and "777" not in json.dumps(rec)
    assert at(rec, 6) == [("CAD_CHANGED", "A", "C1", "case", "z", 2)]  # version 1 was kept


def test_a_malformed_save_never_echoes_the_value(tmp_path: Path) -> None:
    events = [
        *ANSWERED,
        {"t": 3, "event": "cad_set", "agent": "A", "name": "card", "value": 4111111111111111},
        {"t": 3, "event": "cad_set", "agent": "A", "name": "card", "value": "s3cr3t",
         "version": "one"},
    ]  # fmt: skip
    rec = replay(CONFIG, events, tmp_path)
    assert [r["error"] for r in of(rec, "REJECTED")] == ["ERR_MALFORMED", "ERR_MALFORMED"]
    assert "4111111111111111" not in json.dumps(rec) and "s3cr3t" not in json.dumps(rec)
