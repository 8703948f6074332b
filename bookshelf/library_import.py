"""`bookshelf import --from-calibre PATH` and `bookshelf import --in-place PATH`, run in this process.

Progress goes to stderr (a rewritten line on a terminal, periodic lines otherwise);
the summary (imported, duplicates skipped with their names, failures with reasons)
to stdout. Exit status 1 when anything failed. Stopped at any point, running the
same command again continues where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bookshelf.cli_args import CliError, prepared
from bookshelf.errors import CalibreError, InvalidInput
from bookshelf.settings import Settings


def cmd_library_import(args: argparse.Namespace) -> int:
    from bookshelf.services.importing.service import ImportRequest, check_request

    if len(args.paths) != 1:
        raise CliError("--from-calibre and --in-place take exactly one folder")
    if args.review and not args.from_calibre:
        raise CliError("--review goes with --from-calibre")
    mode = "calibre" if args.from_calibre else "folder"
    path = Path(args.paths[0]).expanduser().absolute()
    try:
        req = check_request(ImportRequest(path, mode, args.in_place, args.review, args.move))
    except InvalidInput as exc:
        raise CliError(exc.message) from None
    settings = prepared(args)
    return asyncio.run(_run(settings, req))


async def _run(settings: Settings, req: object) -> int:
    from bookshelf.runtime import Runtime
    from bookshelf.services.importing.report import terminal_sink
    from bookshelf.services.importing.service import ImportRequest

    assert isinstance(req, ImportRequest)
    # Copied folder files are parsed here, not by a server's queue.
    rt = await Runtime.open(settings, background=False, inline_jobs=True)
    try:
        report = await rt.importer.run(req, [terminal_sink(sys.stderr)], drain=rt.jobs.drain)
    except CalibreError as exc:
        print(f"bookshelf: {exc}", file=sys.stderr)
        return 1
    finally:
        await rt.close()
    print(report.summary())
    return 1 if report.failed else 0
