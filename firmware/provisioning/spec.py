"""The provisioning file: what an installer puts on the boot partition for the first boot.

Two files on the FAT boot partition, written by `gwctl provision`:

`deskgate-provision.toml`
```toml
format = 1
hostname = "paris-3-desk-12"                  # letters, digits, '-'; 1..63
technician_token = "…"                        # 16..128 printable characters, no spaces
site = "deskgate-site.toml"                   # the gateway configuration beside this file
ssh_authorized_keys = ["ssh-ed25519 AAAA… tech@laptop"]   # optional; none = SSH stays off
update_keys = ["<64 hex digits: Ed25519 public key>"]       # optional; keys updates must carry

[network]
mode = "dhcp"                                 # or "static" with the three keys below
# address = "192.0.2.10/24"
# gateway = "192.0.2.1"
# dns = ["192.0.2.53"]
```
`deskgate-site.toml`: the gateway configuration (agents, queues, seats…; docs/acd.md and
the config sections), installed verbatim as `/etc/deskgate/site.toml`.

`validate()` returns every problem at once, each naming its key, so one trip to the desk
fixes them all. Pure: no I/O besides what the caller hands in.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from firmware.config import ConfigError, parse_config

FORMAT = 1
PROVISION_FILE = "deskgate-provision.toml"
SITE_FILE = "deskgate-site.toml"
ERROR_FILE = "deskgate-provision.error"
DONE_FILE = "deskgate-provision.done"

_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TOKEN = re.compile(r"^[\x21-\x7e]{16,128}$")
_SSH_KEY = re.compile(
    r"^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh\.com) "
    r"[A-Za-z0-9+/=]{16,}( [^\n]*)?$"
)
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
KNOWN_KEYS = {
    "format",
    "hostname",
    "technician_token",
    "site",
    "ssh_authorized_keys",
    "update_keys",
    "network",
}


@dataclass(frozen=True)
class Network:
    """`dhcp`, or a static address with its gateway and resolvers."""

    mode: str
    address: str = ""
    gateway: str = ""
    dns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provisioning:
    """A provisioning file that passed every check, with its site configuration text."""

    hostname: str
    technician_token: str
    site_text: str
    ssh_authorized_keys: tuple[str, ...]
    update_keys: tuple[str, ...]
    network: Network


class ProvisioningError(ValueError):
    """The provisioning files are unusable; `problems` lists each one with its key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _network(data: object, problems: list[str]) -> Network:
    if data is None:
        return Network("dhcp")
    if not isinstance(data, dict):
        problems.append("network: must be a table")
        return Network("dhcp")
    mode = data.get("mode", "dhcp")
    unknown = set(data) - {"mode", "address", "gateway", "dns"}
    if unknown:
        problems.append(f"network: unknown key(s) {', '.join(sorted(unknown))}")
    if mode == "dhcp":
        return Network("dhcp")
    if mode != "static":
        problems.append(f"network.mode: {mode!r} is not 'dhcp' or 'static'")
        return Network("dhcp")
    address, gateway, dns = data.get("address"), data.get("gateway"), data.get("dns", [])
    try:
        iface = ipaddress.ip_interface(str(address))
        if "/" not in str(address):
            problems.append("network.address: give the prefix length (192.0.2.10/24)")
    except ValueError:
        problems.append(f"network.address: {address!r} is not an address with prefix")
        return Network("dhcp")
    try:
        if ipaddress.ip_address(str(gateway)) not in iface.network:
            problems.append(f"network.gateway: {gateway} is not in {iface.network}")
    except ValueError:
        problems.append(f"network.gateway: {gateway!r} is not an address")
    if not isinstance(dns, list) or not dns:
        problems.append("network.dns: give at least one resolver address")
        dns = []
    for server in dns:
        try:
            ipaddress.ip_address(str(server))
        except ValueError:
            problems.append(f"network.dns: {server!r} is not an address")
    return Network("static", str(address), str(gateway), tuple(str(s) for s in dns))


def _strings(
    data: dict[str, Any], key: str, pattern: re.Pattern[str], what: str, problems: list[str]
) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list):
        problems.append(f"{key}: must be a list")
        return ()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not pattern.match(item.strip()):
            problems.append(f"{key}[{i}]: not {what}")
    return tuple(str(v).strip() for v in value)


def check_site(site_text: str, source: str) -> list[str]:
    """Problems of a site configuration, validated as the service validates it."""
    try:
        data = tomllib.loads(site_text)
    except tomllib.TOMLDecodeError as exc:
        return [f"{source}: not valid TOML: {exc}"]
    try:
        config = parse_config(data, source)
    except ConfigError as exc:
        return str(exc).splitlines()
    agents = [a.id for a in config.acd.agents]
    if not agents:
        return [f"{source}: acd.agents: a gateway needs at least one agent"]
    desk = config.site.desk_agent
    if desk is not None and desk not in agents:
        return [f"{source}: site.desk_agent: unknown agent {desk!r} (known: {', '.join(agents)})"]
    return []


def validate(provision_text: str, site_text: str | None) -> Provisioning:
    """Check both files. Raises ProvisioningError listing every problem found."""
    problems: list[str] = []
    try:
        data = tomllib.loads(provision_text)
    except tomllib.TOMLDecodeError as exc:
        raise ProvisioningError([f"{PROVISION_FILE}: not valid TOML: {exc}"]) from None
    if data.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT}, found {data.get('format')!r}")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        problems.append(f"unknown key(s) {', '.join(sorted(unknown))} (check the spelling)")
    hostname = data.get("hostname")
    if not isinstance(hostname, str) or not _HOSTNAME.match(hostname):
        problems.append(f"hostname: {hostname!r} is not 1-63 lower-case letters, digits, '-'")
    token = data.get("technician_token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        problems.append("technician_token: missing, or not 16-128 printable characters")
    ssh_keys = _strings(data, "ssh_authorized_keys", _SSH_KEY, "an OpenSSH public key", problems)
    update_keys = _strings(data, "update_keys", _HEX_KEY, "64 hex digits", problems)
    network = _network(data.get("network"), problems)
    if data.get("site", SITE_FILE) != SITE_FILE:
        problems.append(f"site: must be {SITE_FILE!r} (the file gwctl provision writes)")
    if site_text is None:
        problems.append(f"{SITE_FILE}: missing beside {PROVISION_FILE}")
    else:
        problems.extend(check_site(site_text, SITE_FILE))
    if problems:
        raise ProvisioningError(problems)
    return Provisioning(
        hostname=str(hostname),
        technician_token=str(token),
        site_text=str(site_text),
        ssh_authorized_keys=ssh_keys,
        update_keys=update_keys,
        network=network,
    )


def network_unit(network: Network) -> str:
    """The systemd-networkd file for the wired port."""
    lines = ["[Match]", "Name=eth0 en*", "", "[Network]"]
    if network.mode == "dhcp":
        lines.append("DHCP=yes")
    else:
        lines += [f"Address={network.address}", f"Gateway={network.gateway}"]
        lines += [f"DNS={server}" for server in network.dns]
    return "\n".join(lines) + "\n"


def provision_text(
    hostname: str,
    technician_token: str,
    ssh_authorized_keys: list[str],
    update_keys: list[str],
    network: Network,
) -> str:
    """The provisioning file as `gwctl provision` writes it (TOML strings via JSON quoting,
    which TOML's basic strings accept for the characters checked above)."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"format = {FORMAT}",
        f"hostname = {q(hostname)}",
        f"technician_token = {q(technician_token)}",
        f"site = {q(SITE_FILE)}",
        "ssh_authorized_keys = [" + ", ".join(q(k) for k in ssh_authorized_keys) + "]",
        "update_keys = [" + ", ".join(q(k) for k in update_keys) + "]",
        "",
        "[network]",
        f"mode = {q(network.mode)}",
    ]
    if network.mode == "static":
        lines += [
            f"address = {q(network.address)}",
            f"gateway = {q(network.gateway)}",
            "dns = [" + ", ".join(q(s) for s in network.dns) + "]",
        ]
    return "\n".join(lines) + "\n"
