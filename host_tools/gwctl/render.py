"""Human-readable output of gwctl's read commands (the `--json` forms are the raw results)."""

from __future__ import annotations

import json
import time
from typing import Any


def _clock(t: float) -> str:
    t = int(t)
    return f"{t // 3600:02}:{t // 60 % 60:02}:{t % 60:02}"


def status(s: dict[str, Any]) -> str:
    lines = [
        f"gateway {s['gateway']}  firmware {s['firmware']}  up {s['uptime']:.0f} s  "
        f"journal record {s['seq']}  core clock {_clock(s['t'])}",
    ]
    note = s.get("config", {})
    if note.get("fallback_reason"):
        lines.append(f"CONFIG NOT USED (running the last good one): {note['fallback_reason']}")
    lines.append("")
    lines.append(f"{'agent':10} {'status':30} {'light':22} {'headset':12} activity")
    for aid, a in sorted(s["agents"].items()):
        st = a["status"] + (f" ({a['reason']}, {a['origin']})" if a["reason"] else "")
        hs = "unplugged" if not a["connected"] else ("off-hook" if a["off_hook"] else "on-hook")
        if a.get("muted"):
            hs += " muted"
        what = f"ringing {a['offer']}" if a["offer"] else (f"call {a['call']}" if a["call"] else "")
        if a["failed_offers"]:
            what += f" failed offers {a['failed_offers']}"
        if a["logout_pending"]:
            what += " logout pending"
        desk = "*" if aid == s.get("desk_agent") else " "
        lines.append(f"{desk}{aid:9} {st:30} {a['pattern']:22} {hs:12} {what}".rstrip())
    lines.append("")
    for name, q in sorted(s["queues"].items()):
        lines.append(f"queue {name}: {len(q['waiting'])} waiting {' '.join(q['waiting'])}".rstrip())
    for ind in s.get("indicators", []):
        state = ind["shows"] if ind["present"] else f"MISSING: {ind['shows']}"
        lines.append(f"indicator {ind['name']}: {state}")
    return "\n".join(lines)


def event(e: dict[str, Any]) -> str:
    t = e.get("t", 0)
    rest = {k: v for k, v in e.items() if k not in ("t", "type", "seq")}
    fields = " ".join(f"{k}={v}" for k, v in rest.items())
    seq = f"#{e['seq']} " if "seq" in e else ""
    return f"{_clock(t)} {seq}{e.get('type', '?')} {fields}".rstrip()


def state(r: dict[str, Any]) -> str:
    reason = f" ({r['reason']}, {r['origin']})" if r.get("reason") else ""
    return f"{r['agent']}: {r['status']}{reason}"


def headsets(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no headsets"
    lines = []
    for h in items:
        if h.get("skipped"):
            lines.append(f"-  {h['path']}: not used: {h['skipped']}")
            continue
        state = "connected" if h["connected"] else "unplugged"
        leds = ",".join(h["leds"]) or "no LEDs lit"
        lines.append(
            f"{h['agent']:8} {h['path']:18} {h['vid_pid']} {h['product']} "
            f"[{h['serial'] or 'no serial'}] {state}; {leds}"
        )
    return "\n".join(lines)


def audio(a: dict[str, Any]) -> str:
    return (
        f"mic {a['mic_dbfs']:.1f} dBFS  line {a['line_dbfs']:.1f} dBFS  far end "
        f"{a['far_dbfs']:.1f} dBFS  talking={a['talking']} muted={a['muted']}\n"
        f"noise suppression {'on' if a['noise_active'] else 'off'}"
        + (f" (fault: {a['noise_fault']})" if a["noise_fault"] else "")
        + f"  latency {a['latency_ms']} ms  uplink overruns {a['uplink']['overruns']} "
        f"underruns {a['uplink']['underruns']}"
    )


def config_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, sort_keys=True)
    return json.dumps(value)


def log_line(line: dict[str, Any]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(line["t"]))
    return f"{stamp} {line['level']:7} {line['logger']}: {line['msg']}"


def ports(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no serial ports found"
    return "\n".join(
        f"{'*' if p['gateway'] else ' '} {p['device']:20} {p['description']}" for p in items
    )
