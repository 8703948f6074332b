"""Importing a plain folder tree: copied into the inbox pipeline, or registered in place.

In place, each book file stays exactly where it is (``files.root`` is
``external`` with its absolute path, or ``library`` with a relative one when
the tree is the library folder itself); its metadata comes from the file and
the book is registered as organized, because filing it elsewhere later is an
explicit choice (reorganize). Copying hands each file to the ingest pipeline
(parse, lookup, review) with the original kept unless --move. Either way each
file's absolute path is recorded in ``import_sources`` so a rerun continues.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.formats import FormatError, read_book
from bookshelf.models import Book, BookFile
from bookshelf.services.importing import store as import_store
from bookshelf.services.importing.report import ImportReport
from bookshelf.services.ingest.pipeline import IngestService, Unsupported, _fill
from bookshelf.services.names.disk import from_filesystem, source_key
from bookshelf.services.storage.coverstore import store_cover
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.import")
Drain = Callable[[], Awaitable[None]]


def book_files(root: Path) -> list[Path]:
    """Every file with a book extension under ``root``, sorted; hidden files and folders skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower().lstrip(".") in import_store.SUPPORTED:
                found.append(Path(dirpath) / name)
    return found


class FolderImporter:
    def __init__(self, db: Database, settings: Settings, report: ImportReport, ingest: IngestService,
                 drain: Drain | None = None) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.report = report
        self.ingest = ingest
        self.drain = drain

    async def run(self, root: Path, *, in_place: bool = False, move: bool = False) -> ImportReport:
        root = root.resolve()
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        paths = await asyncio.to_thread(book_files, root)
        done = await import_store.done_sources(self.db, [source_key(str(p)) for p in paths])
        todo = [p for p in paths if source_key(str(p)) not in done]
        self.report.total, self.report.earlier = len(todo), len(paths) - len(todo)
        await self.report.emit(False)
        for path in todo:
            try:
                if in_place:
                    await self._register(path)
                else:
                    await self._copy(path, move)
            except (OSError, sqlite3.DatabaseError) as exc:
                await self.report.add("failed", str(path), path.name, reason=getattr(exc, "strerror", None) or str(exc))
            except Exception as exc:  # one odd file must not stop the run; its reason is kept
                log.exception("importing %s failed", path)
                await self.report.add("failed", str(path), path.name, reason=f"{type(exc).__name__}: {exc}")
        await self.report.emit(True)
        return self.report

    async def _copy(self, path: Path, move: bool) -> None:
        try:
            accepted = await self.ingest.accept(path, keep_source=not move)
        except Unsupported as exc:
            await self.report.add("skipped", str(path), path.name, reason=exc.message)
            return
        await import_store.record_duplicate(self.db, source_key(str(path)), accepted.book_id)
        if accepted.duplicate:
            await self.report.add("duplicates", str(path), path.name, book_id=accepted.book_id)
            return
        if self.drain is not None:
            await self.drain()  # the command line parses here; the server's queue does it otherwise
        await self.report.add("imported", str(path), path.name, book_id=accepted.book_id)

    async def _register(self, path: Path) -> None:
        if from_filesystem(str(path)) != str(path):
            # A path whose bytes are not UTF-8 cannot be recorded as it is, and a file kept in place is
            # never renamed: this one is copied in under its readable spelling instead, for review.
            why = "its name is not UTF-8: copied into the inbox, the file left as it is"
            await self.report.add("notice", str(path), path.name, counts=False, reason=why)
            await self._copy(path, move=False)
            return
        ident = await asyncio.to_thread(import_store.identify, path)
        known = await import_store.known_file(self.db, ident.sha256)
        if known is not None:
            await import_store.record_duplicate(self.db, source_key(str(path)), known.book_id)
            await self.report.add("duplicates", str(path), path.name, book_id=known.book_id)
            return
        try:
            parsed = await asyncio.to_thread(read_book, path)
        except FormatError as exc:
            await self.report.add("failed", str(path), path.name, reason=exc.message)
            return
        now = clock.now_iso()
        book = Book(id=str(uuid.uuid4()), status="organized", title=path.stem, created_at=now, updated_at=now,
                    organized_at=now)  # fmt: skip
        cover = await asyncio.to_thread(store_cover, self.settings, parsed.cover) if parsed.cover else None
        _fill(book, parsed, cover, now)
        root, stored = self._where(path)
        record = BookFile(id=str(uuid.uuid4()), book_id=book.id, format=parsed.format, root=root, path=stored,
                          filename=path.name, size=ident.size, sha256=ident.sha256, koreader_hash=ident.koreader,
                          page_count=parsed.page_count, added_at=now)  # fmt: skip
        kept, _ = await import_store.commit_book(self.db, book, [record], source_key(str(path)))
        if not kept:
            await self.report.add("duplicates", str(path), path.name, reason="imported meanwhile")
            return
        await self.report.add("imported", str(path), path.name, book_id=book.id)

    def _where(self, path: Path) -> tuple[str, str]:
        """(root, path) for a file kept where it is: inside the library folder it is relative to it."""
        library = self.settings.library_dir.resolve()
        if library in path.parents:
            return "library", path.relative_to(library).as_posix()
        return "external", str(path)
