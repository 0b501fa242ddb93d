"""`gwctl diag OUT.tar.gz`: the gateway's diagnostics as an archive a technician can attach
to a ticket — configuration without secrets, journal tail, versions, devices, recent logs."""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path
from typing import Any

from host_tools.gwctl.link import LinkError

MEMBERS = (
    ("versions.json", "versions"),
    ("config.json", "config"),
    ("config-note.json", "config_note"),
    ("headsets.json", "headsets"),
    ("indicators.json", "indicators"),
)


def _jsonl(items: list[Any]) -> bytes:
    return "".join(json.dumps(i, sort_keys=True) + "\n" for i in items).encode()


def write_diag(out: str, data: dict[str, Any], port: str) -> None:
    """Write the archive. Raises LinkError for a reply without the expected parts or a file
    that cannot be written."""
    files: dict[str, bytes] = {}
    try:
        for name, key in MEMBERS:
            files[name] = json.dumps(data[key], indent=1, sort_keys=True).encode()
        files["journal-tail.jsonl"] = _jsonl(data["journal_tail"])
        files["logs.jsonl"] = _jsonl(data["logs"])
    except (KeyError, TypeError) as exc:
        raise LinkError(f"the gateway's diagnostics lack {exc}") from None
    files["collected.json"] = json.dumps({"port": port, "time": time.time()}).encode()
    try:
        with tarfile.open(Path(out), "w:gz") as tar:
            for name, body in files.items():
                info = tarfile.TarInfo(f"deskgate-diag/{name}")
                info.size, info.mtime, info.mode = len(body), int(time.time()), 0o644
                tar.addfile(info, io.BytesIO(body))
    except OSError as exc:
        raise LinkError(f"{out}: cannot write: {exc}") from None
