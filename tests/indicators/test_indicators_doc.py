"""Generated files stay in sync with the tables they come from."""

from __future__ import annotations

from firmware.indicators import docgen
from firmware.indicators.busylight.models import udev_rules
from firmware.indicators.patterns import PATTERN_TABLE


def test_indicators_doc_is_generated_from_the_table() -> None:
    assert docgen.DOC_PATH.read_text(encoding="utf-8") == docgen.render(), (
        "docs/indicators.md is stale: run python -m firmware.indicators.docgen --write"
    )


def test_busylight_udev_rules_are_generated_from_the_models() -> None:
    assert docgen.UDEV_PATH.read_text(encoding="utf-8") == udev_rules(), (
        "udev rules are stale: run python -m firmware.indicators.docgen --write"
    )


def test_doc_has_one_row_per_table_row() -> None:
    doc = docgen.render()
    for i, rule in enumerate(PATTERN_TABLE, 1):
        assert f"| {i} | " in doc and rule.why in doc
    assert docgen.stale() == []
