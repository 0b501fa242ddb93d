"""Helpers: run event scripts through `deskgate replay` (in-process) and query the output."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from firmware.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "acd"


def replay(
    config: str | Path,
    script: str | Path | list[dict[str, Any]],
    tmp_path: Path | None = None,
    journal: Path | None = None,
) -> list[dict[str, Any]]:
    """Run `deskgate replay` and return the printed records. `script` may be a file name
    under tests/data/acd, a path, or a list of events (written to tmp_path)."""
    if isinstance(script, list):
        assert tmp_path is not None
        path = tmp_path / "script.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in script))
    else:
        path = script if Path(script).is_absolute() else DATA / script
    cfg = config if Path(config).is_absolute() else DATA / config
    argv = ["replay", "--config", str(cfg), str(path)]
    if journal is not None:
        argv += ["--journal", str(journal)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    assert status == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1)), "seq not gap-free"
    return records


def of(records: list[dict[str, Any]], rtype: str, **fields: Any) -> list[dict[str, Any]]:
    """The records of one type whose fields match `fields`."""
    return [
        r for r in records if r["type"] == rtype and all(r.get(k) == v for k, v in fields.items())
    ]


def at(records: list[dict[str, Any]], t: float) -> list[tuple[Any, ...]]:
    """The records at instant t, as (type, main fields...) tuples in order."""
    return [brief(r) for r in records if r["t"] == t]


def brief(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["type"], *(v for k, v in r.items() if k not in ("seq", "t", "type")))


def times(records: list[dict[str, Any]], rtype: str, **fields: Any) -> list[float]:
    return [r["t"] for r in of(records, rtype, **fields)]
