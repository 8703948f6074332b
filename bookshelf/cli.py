"""The `bookshelf` command: serve, keys, the maintenance commands and `service` (in service_command.py)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from bookshelf import __version__, importer, service_command
from bookshelf.cli_args import DATA_FLAGS, EXIT_USAGE, CliError, add_startup_flags, prepared, settings_from


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bookshelf", description="A self-hosted ebook server.")
    parser.add_argument("--version", action="version", version=f"bookshelf {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server")
    add_startup_flags(serve)
    serve.set_defaults(handler=cmd_serve)

    keys = commands.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    create = key_commands.add_parser("create", help="create an API key and print it once")
    create.add_argument("--label", required=True)
    add_startup_flags(create, DATA_FLAGS)
    create.set_defaults(handler=cmd_keys_create)

    backup = commands.add_parser("backup", help="write a consistent backup archive (safe while serving)")
    backup.add_argument("dest", help="archive file name, or a folder to put a dated archive in")
    backup.add_argument("--with-files", action="store_true", help="include the library and inbox book files")
    add_startup_flags(backup, DATA_FLAGS)
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser("restore", help="restore a backup archive into an empty data folder")
    restore.add_argument("archive")
    add_startup_flags(restore, DATA_FLAGS)
    restore.set_defaults(handler=cmd_restore)

    doctor = commands.add_parser("doctor", help="check the database against itself and the disk")
    doctor.add_argument("--fix", action="store_true", help="apply the safe repairs")
    doctor.add_argument("--quick", action="store_true", help="skip hashing every file")
    add_startup_flags(doctor, DATA_FLAGS)
    doctor.set_defaults(handler=cmd_doctor)
    reindex = commands.add_parser("reindex", help="rebuild the full-text search index from the books table")
    add_startup_flags(reindex, DATA_FLAGS)
    reindex.set_defaults(handler=cmd_reindex)

    importer.register(commands)
    service_command.register(commands)
    return parser


KEEP_ALIVE_SECONDS = 20


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bookshelf import logs
    from bookshelf.web.app import create_app

    settings = prepared(args)
    logs.configure(settings.log_level, settings.log_format)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=10,
        # Longer than the idle expiry of common HTTP client pools (httpx: 5 s), so a
        # client never reuses a connection in the instant the server closes it: that
        # race answers "server disconnected" to a request that was never read.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal that stopped it once shutdown is done; a
    # quiet handler turns SIGTERM into a clean exit code 0 for service managers.
    signal.signal(signal.SIGTERM, lambda *_: None)
    server.run()
    # uvicorn reports a failed lifespan start by not starting; make that an error exit.
    return 0 if server.started else 1


def cmd_keys_create(args: argparse.Namespace) -> int:
    from bookshelf.runtime import Runtime

    settings = prepared(args)  # Runtime.open migrates the database

    async def create() -> str:
        rt = await Runtime.open(settings, background=False)
        try:
            _, raw = await rt.keys.create(args.label)
            return raw
        finally:
            await rt.close()

    from bookshelf.errors import BookshelfError

    try:
        raw = asyncio.run(create())
    except BookshelfError as exc:
        raise CliError(exc.message) from None
    print(raw)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bookshelf.services.operations.backup import BackupError, backup

    settings = prepared(args)
    try:
        path = backup(settings, Path(args.dest).expanduser().absolute(), with_files=args.with_files)
    except (BackupError, OSError) as exc:
        raise CliError(f"backup failed: {exc}", 1) from None
    print(path)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bookshelf.services.operations.backup import BackupError, restore

    settings = settings_from(args)
    try:
        manifest = restore(settings, Path(args.archive).expanduser().absolute())
    except (BackupError, OSError) as exc:
        raise CliError(f"restore failed: {exc}", 1) from None
    counts = ", ".join(f"{k} {v}" for k, v in manifest.get("counts", {}).items())
    print(f"restored backup of {manifest.get('createdAt')} into {settings.data_dir} ({counts}); integrity ok")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from bookshelf.services.operations import doctor

    settings = settings_from(args)
    report = doctor.run(settings, fix=args.fix, verify_hashes=not args.quick)
    print(report.render())
    if args.fix and report.fixed:
        report = doctor.run(settings, verify_hashes=not args.quick)
        print(f"after repairs: {len(report.problems)} problem(s) remain")
    return 1 if report.problems else 0


def cmd_reindex(args: argparse.Namespace) -> int:
    import time

    from bookshelf.services.operations.reindex import reindex

    settings = prepared(args)
    started = time.perf_counter()
    books = reindex(settings.db_path)
    print(f"reindexed {books} books in {time.perf_counter() - started:.1f}s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print(f"bookshelf: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
