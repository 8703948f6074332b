"""Adding a file to a library book: the upload's checks (sniffed format, size, duplicates), then it
joins the book and is organized next to its siblings."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database, duplicates
from bookshelf.db import books as book_rows
from bookshelf.errors import Conflict, NotFound
from bookshelf.models import Book, BookFile
from bookshelf.services.ingest.pipeline import file_identity, sniff_format
from bookshelf.services.jobs import JobService
from bookshelf.services.names import disk
from bookshelf.services.storage import durable
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.files")


def _examine(path: Path) -> tuple[str, str, str, int]:
    return (sniff_format(path, trust_extension=False), *file_identity(path))


class BookFileService:
    def __init__(self, db: Database, settings: Settings, jobs: JobService) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs

    async def add(self, book_id: str, source: Path, filename: str) -> tuple[Book, BookFile, str]:
        """Take ``source`` (a received upload) into the book; returns (book, new file, organize job id).

        The file is placed in data/incoming/<bookId>/ before its row commits: an interruption leaves
        an untracked copy (which doctor lists), never a row without its file."""
        await self._library_book(book_id)
        kind, koreader, sha256, size = await asyncio.to_thread(_examine, source)  # Unsupported: 400
        await self._refuse_duplicate(sha256)
        name = disk.safe_name(filename, fallback=f"book.{kind}")
        target = await asyncio.to_thread(durable.unique_target, self.settings.incoming_dir / book_id, name)
        await asyncio.to_thread(durable.move_verified, source, target, sha256)
        now = clock.now_iso()
        file = BookFile(id=str(uuid.uuid4()), book_id=book_id, format=kind, root="incoming",
                        path=target.relative_to(self.settings.incoming_dir).as_posix(), filename=name, size=size,
                        sha256=sha256, koreader_hash=koreader, page_count=None, added_at=now)  # fmt: skip
        try:
            async with self.db.write() as conn:
                await self._library_book(book_id, conn)
                await self._refuse_duplicate(sha256, conn)
                await book_rows.insert_file(conn, file)
                await book_rows.record_hashes(conn, file.id, now, filenames=[name])
                await book_rows.touch(conn, book_id, now)
                job, new = await self.jobs.prepare(conn, "organize_book", book_id)
        except (NotFound, Conflict):
            await asyncio.to_thread(_discard, target, self.settings.incoming_dir)  # our copy of a refused upload
            raise
        if new:
            await self.jobs.submit(job)
        log.info("added %s to book %s", name, book_id)
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        assert book is not None
        return book, file, job.id

    async def _library_book(self, book_id: str, conn: aiosqlite.Connection | None = None) -> None:
        if conn is None:
            async with self.db.read() as reader:
                book = await book_rows.get(reader, book_id, with_files=False)
        else:
            book = await book_rows.get(conn, book_id, with_files=False)
        if book is None or book.status != "organized":
            raise NotFound("Book not found")

    async def _refuse_duplicate(self, sha256: str, conn: aiosqlite.Connection | None = None) -> None:
        if conn is None:
            async with self.db.read() as reader:
                known = await duplicates.file_with_sha256(reader, sha256)
        else:
            known = await duplicates.file_with_sha256(conn, sha256)
        if known is not None:
            raise Conflict("This file is already in the library", details=[{"bookId": known.book_id,
                                                                            "fileId": known.id}])  # fmt: skip


def _discard(path: Path, stop: Path) -> None:
    durable.remove(path)
    durable.prune_empty_dirs(path.parent, stop)
