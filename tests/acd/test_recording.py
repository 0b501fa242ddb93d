"""After-call and recording rules (seed 002): wrap-up reason codes end wrap-up early;
recording pause and resume, journaled with their origin, resumed automatically after the
site's duration (calls.toml: wrapup 30, wrapup_reasons sale/no_sale/escalated,
recording_auto_resume 60)."""

from __future__ import annotations

from pathlib import Path

from tests.acd.replaying import at, brief, of, replay

CONFIG = "calls/calls.toml"


def test_submitting_a_wrapup_reason_ends_wrapup_early() -> None:
    """Seed: "Sélectionnez le motif de post-appel dans la liste déroulante [...] Cliquez sur
    soumettre le post-appel" — submitting ends the wrap-up at once (the issue); codes come
    from the configured list."""
    rec = replay(CONFIG, "calls/wrapup_reason.jsonl")
    assert at(rec, 5) == [
        ("REJECTED", "ERR_NOT_IN_WRAPUP", 3, "agent 'A' is not in post-call wrap-up")
    ]
    assert at(rec, 60)[-1] == ("STATUS_CHANGED", "A", "ready", "withdrawn", "post_call", "system")
    assert at(rec, 65) == [
        (
            "REJECTED",
            "ERR_UNKNOWN_WRAPUP_REASON",
            5,
            "'bought_a_boat' is not one of: sale, no_sale, escalated",
        )
    ]
    assert at(rec, 70) == [
        ("WRAPUP_REASON", "A", "sale", "user"),
        ("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_submitted", "user"),
        ("CALL_ENQUEUED", "C2", "Q", 0),
        ("OFFER_STARTED", "A", "C2"),  # eligible at once, 20 s before the wrap-up would end
    ]
    assert not of(rec, "STATUS_CHANGED", reason="wrapup_end"), "the wrap-up timer is cancelled"


def test_without_a_list_any_code_is_taken_and_a_supervisor_may_submit(tmp_path: Path) -> None:
    cfg = tmp_path / "site.toml"
    cfg.write_text('[acd]\nwrapup = 30\n[[acd.queues]]\nname = "Q"\n'
                   '[[acd.agents]]\nid = "A"\nqueues = ["Q"]\nhook_device = false\n')  # fmt: skip
    events = [
        {"t": 0, "event": "call_arrived", "call": "C1", "queue": "Q"},
        {"t": 1, "event": "answer", "agent": "A"},
        {"t": 9, "event": "hangup", "agent": "A"},
        {"t": 12, "event": "wrapup_reason", "agent": "A", "code": "anything", "by": "supervisor"},
    ]
    rec = replay(cfg, events, tmp_path)
    assert at(rec, 12) == [
        ("WRAPUP_REASON", "A", "anything", "supervisor"),
        ("STATUS_CHANGED", "A", "withdrawn", "ready", "wrapup_submitted", "supervisor"),
    ]


def test_recording_pause_resume_with_origin_and_automatic_resume() -> None:
    """Seed: "Votre administrateur précise la durée de la pause. Une fois le temps de pause spécifié
    écoulé, l'enregistrement reprend automatiquement." Each pause/resume is journaled with its
    origin (user, supervisor, system)."""
    rec = replay(CONFIG, "calls/recording.jsonl")
    assert [brief(r) for r in rec if r["type"].startswith("RECORDING")] == [
        ("RECORDING_PAUSED", "A", "C1", "user"),
        ("RECORDING_RESUMED", "A", "C1", "supervisor"),
        ("RECORDING_PAUSED", "A", "C1", "user"),
        ("RECORDING_RESUMED", "A", "C1", "system"),
        ("RECORDING_PAUSED", "A", "C1", "user"),
    ]
    assert [r["t"] for r in rec if r["type"].startswith("RECORDING")] == [10, 30, 40, 100, 110]
    assert [brief(r)[:2] for r in of(rec, "REJECTED")] == [
        ("REJECTED", "ERR_ALREADY_PAUSED"),
        ("REJECTED", "ERR_NOT_PAUSED"),
    ]
    # paused at 110, the call ends at 120: the auto-resume at 170 never fires
    assert rec[-1]["t"] == 150 and rec[-1]["reason"] == "wrapup_end"


def test_recording_cannot_be_paused_or_resumed_during_a_consult(tmp_path: Path) -> None:
    """Seed: "Suspendre l'enregistrement et reprendre l'enregistrement Les fonctions ne fonctionnent
    pas pendant les conférences et les appels de consultation." The automatic resume still
    comes."""
    events = [
        {"t": 0, "event": "call_arrived", "call": "C1", "queue": "Q"},
        {"t": 1, "event": "hook", "agent": "A", "off_hook": True},
        {"t": 2, "event": "recording_pause", "agent": "A"},
        {"t": 3, "event": "consult", "agent": "A", "to": "queue", "target": "R"},
        {"t": 4, "event": "recording_resume", "agent": "A"},
        {"t": 5, "event": "recording_pause", "agent": "D"},
    ]
    rec = replay(CONFIG, events, tmp_path)
    assert [brief(r)[:2] for r in of(rec, "REJECTED")] == [
        ("REJECTED", "ERR_RECORDING_LOCKED"),
        ("REJECTED", "ERR_NO_CALL"),  # D is only ringing for the consult
    ]
    assert at(rec, 62) == [("RECORDING_RESUMED", "A", "C1", "system")]
