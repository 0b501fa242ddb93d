"""The status table: its generated document is in step, every status is reachable, none is a
trap, and a system change never starts from a user's withdrawal."""

from __future__ import annotations

from firmware.acd import status_table as table


def test_the_generated_document_is_in_step() -> None:
    assert table.DOC.read_text() == table.render_markdown(), (
        "docs/acd-states.md is stale: run python -m firmware.acd.status_table --write"
    )


def test_every_status_is_reachable_from_ready_and_none_is_a_trap() -> None:
    edges = {(s, d) for row in table.TABLE for s in row.sources for d in row.targets}
    reached, frontier = {"ready"}, ["ready"]
    while frontier:
        here = frontier.pop()
        for s, d in edges:
            if s == here and d not in reached:
                reached.add(d)
                frontier.append(d)
    assert reached == set(table.STATUSES)
    for status in table.STATUSES:
        assert any(s == status and d != status for s, d in edges), f"{status} is a trap"


def test_system_rows_never_start_from_a_user_withdrawal() -> None:
    for row in table.TABLE:
        if row.origins == table.SYSTEM and "withdrawn" in row.sources:
            assert row.source_reasons is not None
            assert row.source_reasons <= {"preview", "post_call", "no_answer", "reserved"}


def test_lookups() -> None:
    assert table.find("ready", None, "withdrawn", "break", "user") is not None
    assert table.find("ready", None, "withdrawn", "no_answer", "user") is None
    assert table.find("withdrawn", "break", "withdrawn", "post_call", "system") is None
    assert table.find("withdrawn", "preview", "withdrawn", "post_call", "system") is not None
    assert table.find("withdrawn", "no_answer", "ready", "return_home", "system") is None
