"""A systemd unit that runs `bookshelf serve`: how it reads, where it goes, and installing or removing it.

Pure text and file work plus `systemctl` as an optional collaborator (a path, or None when the
machine has none or the caller only writes the file); the command line lives in service_command.py.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

UNIT_NAME = "bookshelf.service"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")


class ServiceError(Exception):
    """A one-line reason the unit cannot be written or removed."""


@dataclass(frozen=True)
class UnitSpec:
    command: tuple[str, ...]  # the program that runs bookshelf, e.g. ("/opt/bookshelf",)
    data_dir: Path
    user_scope: bool = False  # a per-user unit (systemctl --user) instead of a system one
    run_as: str | None = None  # system units only; None runs as root
    environment: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # extra BOOKSHELF_* settings


def running_command(argv0: str, executable: str, frozen: bool) -> tuple[str, ...]:
    """How to start this same bookshelf again: the single executable itself, or this Python with -m."""
    if frozen:
        # The single executable's launcher passes its own absolute path as argv[0].
        found = argv0 if "/" in argv0 else shutil.which(argv0) or argv0
        return (str(Path(found).resolve()),)
    return (str(Path(executable).absolute()), "-m", "bookshelf")


def owner_of(*paths: Path) -> str | None:
    """The user owning the first of ``paths`` that exists, unless that is root."""
    for path in paths:
        try:
            uid = path.stat().st_uid
        except OSError:
            continue
        if uid == 0:
            return None
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)
    return None


def default_unit_dir(user_scope: bool, home: Path) -> Path:
    return home / ".config" / "systemd" / "user" if user_scope else SYSTEM_UNIT_DIR


def _quote(value: str) -> str:
    """One word of a unit file line: specifiers escaped, quoted when it holds spaces or quotes."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ServiceError(
            f"a path or value with a line break or control character cannot go into a unit file: {value!r}"
        )
    value = value.replace("%", "%%")
    if value and not any(ch.isspace() or ch in "\"'\\;" for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(spec: UnitSpec) -> str:
    """The unit file's text."""
    data_dir = spec.data_dir.absolute()
    env = [("BOOKSHELF_DATA_DIR", str(data_dir)), *spec.environment]
    lines = [
        f"# Written by `bookshelf service install{' --user' if spec.user_scope else ''}`;",
        "# `bookshelf service uninstall` disables and removes it.",
        "[Unit]",
        "Description=bookshelf ebook server",
        "After=network-online.target local-fs.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
    ]
    if spec.run_as and not spec.user_scope:
        lines.append(f"User={_quote(spec.run_as)}")
    lines.append(f"WorkingDirectory={_quote(str(data_dir.parent))}")
    lines += [f"Environment={_quote(f'{name}={value}')}" for name, value in env]
    lines += [
        f"ExecStart={' '.join(_quote(word) for word in (*spec.command, 'serve'))}",
        "# SIGTERM lets the server finish requests and the job in hand.",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=30",
        "Restart=on-failure",
        "RestartSec=5",
        "# Exit code 2 is a configuration error (e.g. unwritable data folder): do not loop on it.",
        "RestartPreventExitStatus=2",
        "NoNewPrivileges=true",
        "PrivateTmp=true",
    ]
    if not spec.user_scope:
        # Not "strict": the executable unpacks itself once into its user's ~/.cache.
        lines.append("ProtectSystem=full")
    lines += ["", "[Install]", f"WantedBy={'default.target' if spec.user_scope else 'multi-user.target'}", ""]
    return "\n".join(lines)


def _systemctl(systemctl: str, user_scope: bool, *args: str) -> None:
    command = [systemctl, *(["--user"] if user_scope else []), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ServiceError(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")


def enable_commands(user_scope: bool) -> list[str]:
    prefix = "systemctl --user" if user_scope else "systemctl"
    return [f"{prefix} daemon-reload", f"{prefix} enable --now {UNIT_NAME}"]


def install(spec: UnitSpec, unit_dir: Path, systemctl: str | None) -> Path:
    """Write the unit into ``unit_dir`` (atomically) and, with a systemctl, enable and start it."""
    text = render(spec)
    path = unit_dir / UNIT_NAME
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        tmp = unit_dir / f".{UNIT_NAME}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(path)
    except PermissionError:
        hint = "" if spec.user_scope else " (a system unit needs root: use sudo, or --user)"
        raise ServiceError(f"cannot write {path}: permission denied{hint}") from None
    except OSError as exc:
        raise ServiceError(f"cannot write {path}: {exc.strerror or exc}") from None
    if systemctl:
        _systemctl(systemctl, spec.user_scope, "daemon-reload")
        _systemctl(systemctl, spec.user_scope, "enable", "--now", UNIT_NAME)
    return path


def uninstall(unit_dir: Path, user_scope: bool, systemctl: str | None) -> Path | None:
    """Stop, disable and remove the unit; None when there was none."""
    path = unit_dir / UNIT_NAME
    if not path.exists():
        return None
    if systemctl:
        _systemctl(systemctl, user_scope, "disable", "--now", UNIT_NAME)
    try:
        path.unlink()
    except OSError as exc:
        raise ServiceError(f"cannot remove {path}: {exc.strerror or exc}") from None
    if systemctl:
        _systemctl(systemctl, user_scope, "daemon-reload")
    return path


def settings_environment(values: Sequence[tuple[str, object]]) -> tuple[tuple[str, str], ...]:
    """BOOKSHELF_* lines for the settings given on the command line (others keep their defaults)."""
    return tuple((name, str(value)) for name, value in values if value is not None)
