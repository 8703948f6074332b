"""`bookshelf import PATH...`: the ingest pipeline from the command line, run in this process.

Works whether or not the server is running: it opens its own runtime and parses each book
here instead of through the server's queue, so books arrive in review when it returns; their
metadata lookups stay queued for the server, which asks the providers at their own pace.
Files are copied unless --move; a user's file is never removed otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bookshelf.cli_args import DATA_FLAGS, CliError, add_startup_flags, prepared
from bookshelf.errors import NotFound
from bookshelf.models import Book
from bookshelf.watcher import is_temporary


@dataclass
class Summary:
    imported: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def register(commands: Any) -> None:
    parser = commands.add_parser("import", help="import book files or folders (recursively) into the inbox")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to import")
    parser.add_argument("--move", action="store_true", help="move the files in instead of copying them")
    parser.add_argument(
        "--from-calibre",
        action="store_true",
        help="PATH is a calibre library: import it with its metadata, straight to the library",
    )
    parser.add_argument("--review", action="store_true", help="with --from-calibre: send the books to the inbox")
    parser.add_argument(
        "--in-place", action="store_true", help="register the books in PATH where they are (not copied, not renamed)"
    )
    add_startup_flags(parser, DATA_FLAGS)
    parser.set_defaults(handler=cmd_import)


def collect(paths: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Every file under the given paths (sorted, each once) and the paths that do not exist."""
    found: dict[Path, None] = {}
    missing = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not is_temporary(d))
                for name in sorted(filenames):
                    if not is_temporary(name):
                        found[Path(dirpath) / name] = None
        else:
            missing.append((raw, "no such file or folder"))
    return list(found), missing


def cmd_import(args: argparse.Namespace) -> int:

    if args.from_calibre or args.in_place or args.review:
        from bookshelf.library_import import cmd_library_import

        return cmd_library_import(args)
    settings = prepared(args)
    files, missing = collect(args.paths)
    if not files and missing:
        raise CliError(f"{missing[0][0]}: {missing[0][1]}")
    summary = asyncio.run(run_import(settings, files, move=args.move, progress=sys.stderr.isatty()))
    summary.skipped[:0] = missing
    report(summary)
    return 1 if summary.failed else 0


async def run_import(settings: Any, files: list[Path], move: bool = False, progress: bool = False) -> Summary:
    from bookshelf.runtime import Runtime
    from bookshelf.services.ingest.pipeline import Unsupported
    from bookshelf.services.names.disk import from_filesystem

    summary = Summary()
    # Parse here; the lookups stay queued for the server, which asks the providers at their own
    # pace (a running server takes them within a minute, a stopped one when it starts).
    rt = await Runtime.open(settings, background=False, inline_jobs=True, leave_queued=("lookup_metadata",))
    try:
        for index, path in enumerate(files, 1):
            shown = from_filesystem(str(path))  # a name whose bytes are not UTF-8 is shown, not a crash
            if progress:
                print(
                    f"\r[{index}/{len(files)}] {from_filesystem(path.name)[:60]:<60}",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
            try:
                result = await rt.ingest.accept(path, keep_source=not move)
            except Unsupported as exc:
                summary.skipped.append((shown, exc.message))
                continue
            except OSError as exc:
                summary.failed.append((shown, exc.strerror or str(exc)))
                continue
            if result.duplicate:
                summary.duplicates.append((shown, result.book_id))
                continue
            await rt.jobs.drain()
            try:
                book: Book | None = await rt.review.book(result.book_id)
            except NotFound:
                book = None
            if book is not None and book.status == "failed":
                summary.failed.append((shown, book.error or "failed"))
            else:
                summary.imported.append(shown)
    finally:
        if progress:
            print(file=sys.stderr)
        await rt.close()
    return summary


def report(summary: Summary) -> None:
    for path, book_id in summary.duplicates:
        print(f"duplicate: {path} (already book {book_id})")
    for path, reason in summary.failed:
        print(f"failed: {path}: {reason}")
    for path, reason in summary.skipped:
        print(f"skipped: {path}: {reason}")
    print(
        f"imported {len(summary.imported)}, duplicates {len(summary.duplicates)}, "
        f"failed {len(summary.failed)}, skipped {len(summary.skipped)}"
    )
