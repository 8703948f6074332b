"""What every `bookshelf` subcommand shares: the user-facing error, the start-up flags and the
settings they make. Its own module so the subcommand modules need not import the parser."""

from __future__ import annotations

import argparse

from bookshelf.settings import OPTIONS, Settings, SettingsError, load

EXIT_USAGE = 2


class CliError(Exception):
    """A one-line message for the user, and an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def add_startup_flags(parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
    for option in OPTIONS:
        if not option.flag or (only is not None and option.name not in only):
            continue
        if option.kind is bool:
            parser.add_argument(
                option.cli,
                dest=option.name,
                action="store_const",
                const=True,
                default=None,
                help=f"{option.help} [env {option.env}]",
            )
        else:
            parser.add_argument(
                option.cli,
                dest=option.name,
                type=option.kind,
                default=None,
                help=f"{option.help} (default {option.default!r}) [env {option.env}]",
            )


DATA_FLAGS = ("data_dir", "library_dir", "inbox_dir", "log_level", "log_format")


def settings_from(args: argparse.Namespace) -> Settings:
    flags = {option.name: getattr(args, option.name, None) for option in OPTIONS}
    try:
        return load(flags)
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def prepared(args: argparse.Namespace) -> Settings:
    """Settings with every folder created and the data folder proven writable."""
    from bookshelf.runtime import DataDirError, prepare_folders

    settings = settings_from(args)
    try:
        prepare_folders(settings)
    except DataDirError as exc:
        raise CliError(str(exc)) from None
    return settings
