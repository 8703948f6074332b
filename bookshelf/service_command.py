"""`bookshelf service install|uninstall`: a systemd unit for this bookshelf, in one command."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from bookshelf import service_unit
from bookshelf.cli_args import CliError, add_startup_flags, settings_from
from bookshelf.settings import OPTIONS, Settings, load


def register(commands: Any) -> None:

    service = commands.add_parser("service", help="install or remove a systemd unit that runs `bookshelf serve`")
    actions = service.add_subparsers(dest="service_command", metavar="ACTION")
    install = actions.add_parser(
        "install",
        help="write and enable a unit starting this executable (system-wide, or --user)",
        description="Write a systemd unit that runs `serve` with the settings given here (flags or BOOKSHELF_*), "
        "then enable and start it.",
    )
    _scope_flags(install)
    install.add_argument("--print", dest="print_only", action="store_true", help="show the unit, install nothing")
    install.add_argument("--run-as", metavar="USER", help="system unit: the user to run as (default: the data "
                         "folder's or the executable's owner)")  # fmt: skip
    add_startup_flags(install)
    install.set_defaults(handler=cmd_install)
    uninstall = actions.add_parser("uninstall", help="stop, disable and remove the unit")
    _scope_flags(uninstall)
    uninstall.set_defaults(handler=cmd_uninstall)
    service.set_defaults(handler=lambda _args: _usage(service))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _scope_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", dest="user_scope", action="store_true", help="a unit of your own user "
                        "(systemctl --user) instead of a system one")  # fmt: skip
    parser.add_argument("--unit-dir", type=Path, help="write the unit here and only print the systemctl "
                        "commands (default: /etc/systemd/system, or ~/.config/systemd/user with --user)")  # fmt: skip


def _target(args: argparse.Namespace) -> tuple[Path, str | None, bool]:
    """(unit folder, systemctl to run or None, whether it is missing) for these arguments."""
    if args.unit_dir is not None:
        return args.unit_dir.expanduser().absolute(), None, False
    systemctl = shutil.which("systemctl")
    return service_unit.default_unit_dir(args.user_scope, Path.home()), systemctl, systemctl is None


def _environment(settings: Settings) -> tuple[tuple[str, str], ...]:
    """BOOKSHELF_* lines for every serve setting that differs from its default (data folder aside)."""
    baseline = load(environ={}, data_dir=settings.data_dir)
    lines = []
    for option in OPTIONS:
        if not option.flag or option.secret or option.name == "data_dir":
            continue
        value = getattr(settings, option.name)
        if value != getattr(baseline, option.name):
            text = ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)
            lines.append((option.env, text))
    return tuple(lines)


def cmd_install(args: argparse.Namespace) -> int:

    settings = settings_from(args)
    command = service_unit.running_command(sys.argv[0], sys.executable, bool(getattr(sys, "frozen", False)))
    run_as = args.run_as or service_unit.owner_of(settings.data_dir, Path(command[0]))
    spec = service_unit.UnitSpec(
        command=command,
        data_dir=settings.data_dir,
        user_scope=args.user_scope,
        run_as=None if args.user_scope else run_as,
        environment=_environment(settings),
    )
    try:
        if args.print_only:
            print(service_unit.render(spec), end="")
            return 0
        unit_dir, systemctl, missing = _target(args)
        path = service_unit.install(spec, unit_dir, systemctl)
    except service_unit.ServiceError as exc:
        raise CliError(str(exc), 1) from None
    print(f"wrote {path}")
    if systemctl:
        print(f"enabled and started {service_unit.UNIT_NAME}")
        if args.user_scope:
            print("to keep it running while you are logged out: loginctl enable-linger")
    else:
        reason = "systemctl was not found, so nothing was enabled" if missing else "not enabled (--unit-dir)"
        print(f"{reason}; to enable it: " + " && ".join(service_unit.enable_commands(args.user_scope)))
    if not args.user_scope and not run_as:
        print("note: the service runs as root; pass --run-as USER to run it as another user")
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:

    unit_dir, systemctl, missing = _target(args)
    try:
        path = service_unit.uninstall(unit_dir, args.user_scope, systemctl)
    except service_unit.ServiceError as exc:
        raise CliError(str(exc), 1) from None
    if path is None:
        print(f"no {service_unit.UNIT_NAME} in {unit_dir}: nothing to remove")
        return 0
    print(f"removed {path}")
    if missing:
        print("systemctl was not found, so no service was stopped")
    return 0
