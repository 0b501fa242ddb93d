"""`gwctl provision BOOT`: write the provisioning files onto a card's boot partition.

    gwctl provision /media/tech/RASPIFIRM --hostname paris-3-desk-12 --site site.toml \\
        --token-file token.txt [--ssh-key ~/.ssh/id_ed25519.pub] [--update-key KEYHEX] \\
        [--static 192.0.2.10/24 --gateway 192.0.2.1 --dns 192.0.2.53]

BOOT is the mounted boot partition (or any directory, e.g. to prepare files for later). The
files are validated here with the same code the gateway runs at first boot
(`firmware.provisioning.spec`), so a card is never written with a file the gateway would
refuse. Without --token-file a random token is generated and printed once on stdout.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from firmware.provisioning.spec import (
    ERROR_FILE,
    PROVISION_FILE,
    SITE_FILE,
    Network,
    Provisioning,
    ProvisioningError,
    provision_text,
    validate,
)
from host_tools.installer.command import add_command
from host_tools.installer.errors import fail

HELP = "write the provisioning files onto a card's boot partition"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_provisioning(
    boot: Path,
    hostname: str,
    site_text: str,
    token: str,
    ssh_keys: list[str],
    update_keys: list[str],
    network: Network,
) -> Provisioning:
    """Validate, then write both files into `boot`. Raises ProvisioningError, OSError."""
    text = provision_text(hostname, token, ssh_keys, update_keys, network)
    prov = validate(text, site_text)  # the gateway's own checks, before the card is touched
    if not boot.is_dir():
        raise OSError(f"{boot}: not a directory (mount the card's boot partition)")
    _write(boot / SITE_FILE, site_text)
    _write(boot / PROVISION_FILE, text)
    (boot / ERROR_FILE).unlink(missing_ok=True)
    return prov


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("boot", type=Path, help="the mounted boot partition (RASPIFIRM)")
    p.add_argument("--hostname", required=True)
    p.add_argument("--site", type=Path, required=True, help="the site configuration TOML")
    p.add_argument("--token-file", type=Path, help="technician token (default: generate one)")
    p.add_argument(
        "--ssh-key",
        type=Path,
        action="append",
        default=[],
        help="OpenSSH public key file allowed to log in (SSH stays off without)",
    )
    p.add_argument(
        "--update-key",
        action="append",
        default=[],
        help="Ed25519 public key (64 hex digits) update bundles must be signed by",
    )
    p.add_argument("--static", metavar="ADDRESS/PREFIX", help="static address (default: DHCP)")
    p.add_argument("--gateway", help="default route for --static")
    p.add_argument("--dns", action="append", default=[], help="resolver for --static")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add_command(sub, "provision", HELP, __doc__ or "", add_arguments, run)


def run(args: argparse.Namespace) -> int:
    """`gwctl provision`: prints the generated token (if any) on stdout."""
    debug = getattr(args, "debug", False)
    try:
        site_text = args.site.read_text(encoding="utf-8")
        generated = args.token_file is None
        token = (
            secrets.token_urlsafe(24)
            if generated
            else args.token_file.read_text(encoding="utf-8").strip()
        )
        ssh_keys = [
            line.strip()
            for path in args.ssh_key
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        network = (
            Network("static", args.static, args.gateway or "", tuple(args.dns))
            if args.static
            else Network("dhcp")
        )
        prov = write_provisioning(
            args.boot, args.hostname, site_text, token, ssh_keys, args.update_key, network
        )
    except ProvisioningError as exc:
        return fail(ProvisioningError(["the gateway would refuse this:", *exc.problems]), debug)
    except OSError as exc:
        return fail(exc, debug)
    if generated:
        print(prov.technician_token)
    ssh = "SSH on" if prov.ssh_authorized_keys else "SSH off"
    print(
        f"provisioned {prov.hostname} on {args.boot} ({ssh}, network {prov.network.mode})",
        file=sys.stderr,
    )
    return 0
