"""A small udev rules interpreter for the tests: parse our rule files and run them against
described devices (a device and its parents, with what udev's builtins would import).

It covers the keys our rules use (ACTION, SUBSYSTEM(S), KERNEL(S), ATTR(S){}, ENV{}, TAG,
IMPORT{builtin}, GOTO/LABEL, and the assignments GROUP, MODE, OWNER, SYMLINK, RUN, TAG,
ENV{}, ATTR{}) and refuses anything else, so a typo in a rule fails the parser test.
Matching follows udev: `==`/`!=` with shell globs and `|` alternatives; all the S-keys of
one rule must match the same device in the parent chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

MATCH_KEYS = {
    "ACTION",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "KERNEL",
    "KERNELS",
    "ATTR",
    "ATTRS",
    "ENV",
    "TAG",
    "DRIVERS",
}
ASSIGN_KEYS = {
    "GROUP",
    "MODE",
    "OWNER",
    "SYMLINK",
    "RUN",
    "TAG",
    "ENV",
    "ATTR",
    "IMPORT",
    "GOTO",
    "LABEL",
}
PARENT_KEYS = {"SUBSYSTEMS", "KERNELS", "ATTRS", "DRIVERS"}
TOKEN = re.compile(
    r'\s*([A-Z]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)'
)


class RuleSyntaxError(ValueError):
    """A rule line our interpreter (and udev) would not accept; names file and line."""


@dataclass(frozen=True)
class Key:
    name: str
    attr: str | None
    op: str
    value: str


@dataclass(frozen=True)
class Rule:
    file: str
    line: int
    keys: tuple[Key, ...]


@dataclass
class Device:
    """A device as udev sees it: its own subsystem, kernel name and attributes, its parents
    (nearest first), and the properties the builtins would import."""

    subsystem: str
    kernel: str
    attrs: dict[str, str] = field(default_factory=dict)
    parents: list[Device] = field(default_factory=list)
    builtins: dict[str, dict[str, str]] = field(default_factory=dict)
    devpath: str = "/devices/test"


@dataclass
class Result:
    """What the rules did to a device."""

    group: str | None = None
    mode: str | None = None
    owner: str | None = None
    symlinks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    run: list[str] = field(default_factory=list)
    attrs_written: dict[str, str] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)


def parse(path: Path) -> list[Rule]:
    """Parse a rules file (continuation lines joined). Raises RuleSyntaxError."""
    rules = []
    text = path.read_text(encoding="utf-8").replace("\\\n", "")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keys, pos = [], 0
        while pos < len(line):
            m = TOKEN.match(line, pos)
            if not m:
                raise RuleSyntaxError(f"{path.name}:{number}: cannot parse at {line[pos:]!r}")
            name, attr, op, value, comma = m.groups()
            allowed = MATCH_KEYS if op in ("==", "!=") else ASSIGN_KEYS
            if name not in allowed:
                raise RuleSyntaxError(f"{path.name}:{number}: {name} cannot be used with {op}")
            if name in ("ATTR", "ATTRS", "ENV", "IMPORT") and not attr:
                raise RuleSyntaxError(f"{path.name}:{number}: {name} needs {{name}}")
            keys.append(Key(name, attr, op, value))
            pos = m.end()
            if not comma and pos < len(line):
                raise RuleSyntaxError(f"{path.name}:{number}: missing ',' before {line[pos:]!r}")
        rules.append(Rule(path.name, number, tuple(keys)))
    return rules


def _glob(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    return any(fnmatchcase(value, alt) for alt in pattern.split("|"))


def _subst(value: str, dev: Device, env: dict[str, str]) -> str:
    value = re.sub(
        r"\$env\{([^}]+)\}|%E\{([^}]+)\}", lambda m: env.get(m.group(1) or m.group(2), ""), value
    )
    return value.replace("%k", dev.kernel).replace("%p", dev.devpath)


def _own_match(key: Key, dev: Device, action: str, env: dict[str, str], tags: list[str]) -> bool:
    if key.name == "ACTION":
        value: str | None = action
    elif key.name == "SUBSYSTEM":
        value = dev.subsystem
    elif key.name == "KERNEL":
        value = dev.kernel
    elif key.name == "ATTR":
        value = dev.attrs.get(str(key.attr))
    elif key.name == "ENV":
        value = env.get(str(key.attr), "")
    elif key.name == "TAG":
        return (key.value in tags) == (key.op == "==")
    else:
        raise AssertionError(key.name)
    return _glob(key.value, value) == (key.op == "==")


def _parent_match(keys: list[Key], dev: Device) -> bool:
    for node in [dev, *dev.parents]:
        ok = True
        for key in keys:
            if key.name == "SUBSYSTEMS":
                value: str | None = node.subsystem
            elif key.name == "KERNELS":
                value = node.kernel
            elif key.name == "ATTRS":
                value = node.attrs.get(str(key.attr))
            else:
                value = node.attrs.get("driver")
            if _glob(key.value, value) != (key.op == "=="):
                ok = False
                break
        if ok:
            return True
    return False


def apply(rules: list[Rule], dev: Device, action: str = "add") -> Result:
    """Run the rules on one device event, in order, honouring GOTO/LABEL."""
    result = Result()
    env: dict[str, str] = {}
    skip_to: str | None = None
    for rule in rules:
        labels = [k.value for k in rule.keys if k.name == "LABEL"]
        if skip_to is not None:
            if skip_to in labels:
                skip_to = None
            continue
        matches = [k for k in rule.keys if k.op in ("==", "!=")]
        own = [k for k in matches if k.name not in PARENT_KEYS]
        parent = [k for k in matches if k.name in PARENT_KEYS]
        if not all(_own_match(k, dev, action, env, result.tags) for k in own):
            continue
        if parent and not _parent_match(parent, dev):
            continue
        result.matched.append(f"{rule.file}:{rule.line}")
        for key in rule.keys:
            if key.op in ("==", "!="):
                continue
            value = _subst(key.value, dev, env)
            if key.name == "GROUP":
                result.group = value
            elif key.name == "MODE":
                result.mode = value
            elif key.name == "OWNER":
                result.owner = value
            elif key.name == "SYMLINK":
                result.symlinks.append(value)
            elif key.name == "TAG":
                result.tags.append(value)
            elif key.name == "RUN":
                result.run.append(value)
            elif key.name == "ATTR":
                result.attrs_written[str(key.attr)] = value
            elif key.name == "ENV":
                old = env.get(str(key.attr), "")
                env[str(key.attr)] = f"{old} {value}".strip() if key.op == "+=" else value
            elif key.name == "IMPORT":
                env.update(dev.builtins.get(value, {}))
            elif key.name == "GOTO":
                skip_to = value
    result.env = env
    return result
