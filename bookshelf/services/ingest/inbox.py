"""The inbox as readers see it: lists, counts, stages, one book with its candidates, covers, rescan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.db import inbox as inbox_rows
from bookshelf.db import jobs as job_rows
from bookshelf.db.library import list_ids
from bookshelf.errors import Conflict, NotFound
from bookshelf.formats.covers import sniff_image_type
from bookshelf.models import INBOX_STATUSES, Book, BookFilter, Candidate
from bookshelf.services.jobs import JobService
from bookshelf.services.search.service import SearchService
from bookshelf.services.storage.files import cover_path
from bookshelf.services.storage.generated_covers import MEDIA_TYPE, GeneratedCovers
from bookshelf.settings import Settings

INBOX_SORTS = ("title_asc", "title_desc", "detected_newest", "detected_oldest", "status_asc", "status_desc")


@dataclass
class Cover:
    path: Path
    media_type: str
    etag: str


class InboxService:
    def __init__(self, db: Database, settings: Settings, search: SearchService, jobs: JobService,
                 generated: GeneratedCovers | None = None) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.search = search
        self.jobs = jobs
        self.generated = generated or GeneratedCovers(settings)

    async def listing(
        self, page: int, limit: int, query: str | None, sort: str, status: str | None = None
    ) -> tuple[list[Book], int]:
        """One page of inbox books (of one ``status`` when given), searched by ``query``."""
        statuses = (status,) if status in INBOX_STATUSES else INBOX_STATUSES
        flt = BookFilter(statuses=statuses)
        if query and query.strip():
            flt.nums = await self.search.match(query, statuses)
            if not flt.nums:
                return [], 0
        async with self.db.read() as conn:
            ids, total = await list_ids(conn, flt, sort, limit, (page - 1) * limit)
            books = await book_rows.get_many(conn, ids)
        return books, total

    async def count(self) -> dict[str, int]:
        async with self.db.read() as conn:
            return await inbox_rows.count_by_status(conn, INBOX_STATUSES)

    async def stages(self) -> dict[str, str]:
        async with self.db.read() as conn:
            return await inbox_rows.stages(conn)

    async def book(self, book_id: str) -> Book:
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        if book is None or not book.in_inbox:
            raise NotFound("Book not found in the inbox")
        return book

    async def with_candidates(self, book_id: str) -> tuple[Book, list[Candidate]]:
        book = await self.book(book_id)
        async with self.db.read() as conn:
            found = await candidate_rows.for_book(conn, book_id)
        return book, found

    async def cover(self, book_id: str, thumb: bool) -> Cover:
        book = await self.book(book_id)
        if not book.cover_sha256:
            path, token = await self.generated.path(book, thumb)
            return Cover(path, MEDIA_TYPE, f'"{token[:33]}{"-t" if thumb else ""}"')
        path = cover_path(self.settings, book.cover_sha256, thumb=thumb)
        try:
            with open(path, "rb") as fh:
                head = fh.read(16)
        except OSError:
            raise NotFound("Cover not found") from None
        media_type = sniff_image_type(head) or "image/jpeg"
        return Cover(path, media_type, f'"{book.cover_sha256[:32]}{"-t" if thumb else ""}"')

    async def rescan(self, book_id: str) -> str:
        """Parse the file again (replacing the ``file`` candidate), drop remote candidates, look up again."""
        async with self.db.write() as conn:
            book = await book_rows.get(conn, book_id, with_files=False)
            if book is None or not book.in_inbox:
                raise NotFound("Book not found in the inbox")
            if book.status == "processing" and book.stage == "parsing":
                open_job = await self._open_parse(conn, book_id)
                if open_job:
                    return open_job
            if book.status == "processing" and book.stage not in (None, "parsing"):
                raise Conflict("The book is being processed; try again when it is in review")
            await candidate_rows.delete_remote(conn, book_id)
            await book_rows.set_status(conn, book_id, "processing", "parsing", clock.now_iso())
            job, new = await self.jobs.prepare(conn, "parse_book", book_id)
        if new:
            await self.jobs.submit(job)
        return job.id

    async def _open_parse(self, conn: aiosqlite.Connection, book_id: str) -> str | None:
        job = await job_rows.open_for(conn, "parse_book", book_id)
        return job.id if job else None
