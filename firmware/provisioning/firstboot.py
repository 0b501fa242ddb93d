"""First boot on the gateway: validate the provisioning files and move them into /etc.

    python -m firmware.provisioning.firstboot --boot /boot/firmware --root /

Run by `deskgate-firstboot.service` before the gateway service. All or nothing:
- valid → hostname, network, SSH (enabled only with a key), update keys, site configuration
  and the technician token are installed (each file written beside and renamed), then the
  provisioning files are deleted from the FAT partition (the token must not stay there) and
  `deskgate-provision.done` lists what was applied, without secrets; exit 0.
- invalid or missing → nothing in /etc changes; the problems go to
  `deskgate-provision.error` on the boot partition, the console port (a technician's terminal
  on the USB-C port reads them as plain text), stdout (journal + kernel console), and the
  board's LED class LEDs blink fast; exit 1, so the service (Requires=) stays down.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from firmware.provisioning.spec import (
    DONE_FILE,
    ERROR_FILE,
    PROVISION_FILE,
    SITE_FILE,
    Provisioning,
    ProvisioningError,
    network_unit,
    validate,
)

SERVICE_USER = "deskgate"
ERROR_BLINK_MS = 100
Runner = Callable[[Sequence[str]], None]


def _run(cmd: Sequence[str]) -> None:
    subprocess.run(list(cmd), check=True)


def _ids(root: Path, user: str) -> tuple[int, int]:
    """uid and gid of `user` in the root's own /etc/passwd (the image's, not the host's)."""
    for line in (root / "etc/passwd").read_text(encoding="utf-8").splitlines():
        fields = line.split(":")
        if fields[0] == user and len(fields) > 3:
            return int(fields[2]), int(fields[3])
    raise OSError(f"no user {user!r} in {root / 'etc/passwd'} (systemd-sysusers did not run?)")


def _write(path: Path, text: str, mode: int = 0o644, owner: tuple[int, int] | None = None) -> None:
    """Write beside and rename: a power cut leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    if owner is not None and os.geteuid() == 0:
        os.chown(tmp, *owner)
    os.replace(tmp, path)


def read(boot: Path) -> Provisioning:
    """Read and validate the files on the boot partition. Raises ProvisioningError."""
    try:
        provision = (boot / PROVISION_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProvisioningError(
            [f"not provisioned: no {PROVISION_FILE} on the boot partition (gwctl provision)"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError([f"{PROVISION_FILE}: cannot read: {exc}"]) from None
    try:
        site: str | None = (boot / SITE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        site = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError([f"{SITE_FILE}: cannot read: {exc}"]) from None
    return validate(provision, site)


def apply(prov: Provisioning, root: Path, run: Runner | None = None) -> list[str]:
    """Install a validated provisioning under `root` ("/" on the gateway). Returns what was
    applied, one line each, without secrets. `run` executes ssh-keygen and systemctl."""
    run = run or _run
    done = []
    _write(root / "etc/deskgate/site.toml", prov.site_text, 0o644)
    done.append("site configuration → /etc/deskgate/site.toml")
    state = root / "var/lib/deskgate"
    state.mkdir(parents=True, exist_ok=True)
    owner = _ids(root, SERVICE_USER)
    _write(state / "console.token", prov.technician_token + "\n", 0o600, owner)
    done.append("technician token → /var/lib/deskgate/console.token (0600, deskgate)")
    keys_dir = root / "etc/deskgate/update-keys"
    for i, key in enumerate(prov.update_keys):
        _write(keys_dir / f"provisioned-{i}.pub", key + "\n")
    if prov.update_keys:
        done.append(f"{len(prov.update_keys)} update key(s) → /etc/deskgate/update-keys")
    _write(root / "etc/hostname", prov.hostname + "\n")
    done.append(f"hostname {prov.hostname}")
    _write(root / "etc/systemd/network/50-wired.network", network_unit(prov.network))
    done.append(f"network {prov.network.mode}")
    if prov.ssh_authorized_keys:
        _write(
            root / "root/.ssh/authorized_keys",
            "".join(k + "\n" for k in prov.ssh_authorized_keys),
            0o600,
        )
        (root / "root/.ssh").chmod(0o700)
        run(["ssh-keygen", "-A", "-f", str(root)])
        run(["systemctl", f"--root={root}", "enable", "ssh.service"])
        if root == Path("/"):  # enabled links are read at the next boot: start it now too
            run(["systemctl", "--no-block", "start", "ssh.service"])
        done.append(f"SSH on, {len(prov.ssh_authorized_keys)} key(s) for root, no passwords")
    else:
        (root / "root/.ssh/authorized_keys").unlink(missing_ok=True)
        run(["systemctl", f"--root={root}", "disable", "ssh.service"])
        done.append("SSH off (no key given)")
    return done


def report_error(problems: list[str], boot: Path, console: Path, leds: Path) -> None:
    """Tell the installer, everywhere they may look, and change nothing else."""
    text = "deskgate: provisioning failed, the gateway service stays off:\n" + "".join(
        f"  - {p}\n" for p in problems
    )
    print(text, end="", flush=True)
    try:
        _write(boot / ERROR_FILE, text)
    except OSError as exc:
        print(f"deskgate: cannot write {boot / ERROR_FILE}: {exc}", file=sys.stderr)
    try:
        fd = os.open(console, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
        with os.fdopen(fd, "wb") as port:
            port.write(text.replace("\n", "\r\n").encode())
    except OSError:
        pass  # no host on the USB port yet: the file and the LEDs still say it
    for led in sorted(leds.glob("deskgate:*")):
        try:
            (led / "trigger").write_text("timer", encoding="ascii")
            (led / "delay_on").write_text(str(ERROR_BLINK_MS), encoding="ascii")
            (led / "delay_off").write_text(str(ERROR_BLINK_MS), encoding="ascii")
        except OSError:
            continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware.provisioning.firstboot")
    parser.add_argument("--boot", type=Path, default=Path("/boot/firmware"))
    parser.add_argument("--root", type=Path, default=Path("/"), help="root the files go under")
    parser.add_argument("--console-port", type=Path, default=Path("/dev/ttyGS0"))
    parser.add_argument("--leds", type=Path, default=Path("/sys/class/leds"))
    args = parser.parse_args(argv)
    boot, root = args.boot, args.root
    try:
        prov = read(boot)
        applied = apply(prov, root)
    except ProvisioningError as exc:
        report_error(exc.problems, boot, args.console_port, args.leds)
        return 1
    except (OSError, subprocess.CalledProcessError) as exc:
        report_error([f"applying failed: {exc}"], boot, args.console_port, args.leds)
        return 1
    (boot / PROVISION_FILE).unlink()
    (boot / SITE_FILE).unlink(missing_ok=True)
    (boot / ERROR_FILE).unlink(missing_ok=True)
    _write(boot / DONE_FILE, "".join(f"{line}\n" for line in applied))
    print("deskgate: provisioned: " + "; ".join(applied), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
