"""Ingest: a dropped, uploaded or imported file becomes an inbox book, then is parsed.

Order matters because files are sacred: hash first; a file whose bytes are already known
goes to data/duplicates (never deleted); otherwise the book, file and parse job rows are
committed, and only then is the file moved into data/incoming/<bookId>/.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database, duplicates
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.db.connection import inline
from bookshelf.db.jobs import Job
from bookshelf.errors import InvalidInput
from bookshelf.folding import fold
from bookshelf.formats import FormatError, detect_format, file_hashes, read_book
from bookshelf.formats.parsed import ParsedBook
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.priority import mark_background
from bookshelf.services.jobs import JobService
from bookshelf.services.names import disk
from bookshelf.services.storage import durable
from bookshelf.services.storage.coverstore import store_cover
from bookshelf.services.storage.files import file_path
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.ingest")
T = TypeVar("T")

BOOK_EXTENSIONS = {".epub": "epub", ".pdf": "pdf", ".mobi": "mobi", ".azw3": "azw3", ".azw": "azw3",
                   ".cbz": "cbz", ".cbr": "cbr"}  # fmt: skip


class Unsupported(InvalidInput):
    """Not a book file we take; ``reason`` is the stable tag (unsupported_format, empty_file...)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Accepted:
    filename: str
    book_id: str
    duplicate: bool = False
    duplicate_path: Path | None = None


def sniff_format(path: Path, trust_extension: bool) -> str:
    """The book format by content. With ``trust_extension`` a damaged file named like a book is
    still taken (its parse will fail with the reason, visibly); otherwise it is refused."""
    try:
        return detect_format(path)
    except FormatError as exc:
        by_name = BOOK_EXTENSIONS.get(path.suffix.lower())
        if trust_extension and by_name:
            return by_name
        raise Unsupported(exc.message, exc.reason) from None


def file_identity(path: Path) -> tuple[str, str, int]:
    """(koreader partial md5, sha256, size) in one read."""
    koreader, sha256 = file_hashes(path)
    return koreader, sha256, path.stat().st_size


def _examine(path: Path, fmt: str | None, trust_extension: bool) -> tuple[str, str, str, int]:
    """(format, koreader partial md5, sha256, size): one trip to a worker thread."""
    return (fmt or sniff_format(path, trust_extension), *file_identity(path))


# ("ok", the book without its cover bytes, cover sha256) or ("format_error", message, reason).
ReadResult = tuple[str, Any, Any]


def read_and_store(path: str, settings: Settings) -> ReadResult:
    """Read a book file and store its cover: what the parse worker process runs. FormatError comes
    back as values: the exception's own pickling drops ``reason``."""
    try:
        parsed = read_book(Path(path))
    except FormatError as exc:
        return "format_error", exc.message, exc.reason
    cover = store_cover(settings, parsed.cover) if parsed.cover else None
    parsed.cover = None
    return "ok", parsed, cover


class IngestService:
    """``loop`` is the server's: the parse task runs in a worker thread and saves on it; ``reader``
    runs :func:`read_and_store` on a book file (in the parse worker process, or this thread);
    ``lookups_on`` says whether any metadata source is chosen (metadataSources)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        jobs: JobService,
        loop: asyncio.AbstractEventLoop,
        reader: Callable[[Path], ReadResult],
        lookups_on: Callable[[], bool] = lambda: True,
    ) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs
        self.loop = loop
        self.reader = reader
        self.lookups_on = lookups_on
        self._placing: set[str] = set()  # books whose file this process is moving in right now

    # -- taking a file -----------------------------------------------------------

    async def accept(self, source: Path, *, name: str | None = None, fmt: str | None = None,
                     keep_source: bool = False, trust_extension: bool = True) -> Accepted:  # fmt: skip
        """Take one file into the inbox. ``keep_source`` copies (the CLI's default) instead of moving.

        Raises Unsupported for files that are not books; OSError if the file cannot be read or placed.
        """
        filename = disk.safe_name(name or source.name)
        if not keep_source and (source.is_symlink() or not source.is_file()):
            # Moving a symlink would store a link to anywhere; only regular files are moved in.
            raise Unsupported(f"{filename} is not a regular file.", "not_a_file")
        kind, koreader, sha256, size = await asyncio.to_thread(_examine, source, fmt, trust_extension)
        now = clock.now_iso()
        book = Book(id=str(uuid.uuid4()), status="processing", stage="parsing", title=Path(filename).stem,
                    created_at=now, updated_at=now)  # fmt: skip
        record = BookFile(id=str(uuid.uuid4()), book_id=book.id, format=kind, root="incoming",
                          path=f"{book.id}/{filename}", filename=filename, size=size, sha256=sha256,
                          koreader_hash=koreader, page_count=None, added_at=now)  # fmt: skip

        async def take(conn: aiosqlite.Connection) -> tuple[BookFile | None, Job | None]:
            known = await duplicates.file_with_sha256(conn, sha256)
            if known is not None:
                return known, None
            await book_rows.insert(conn, book)
            await book_rows.insert_file(conn, record)
            await book_rows.record_hashes(conn, record.id, now, filenames=[filename])
            job, _ = await self.jobs.prepare(conn, "parse_book", book.id, fresh=True)
            return None, job

        # One trip to the writer: statement by statement, a bulk drop held the writer's lock
        # about 100 ms a book under load, and requests' writes waited behind it.
        known, job = await self.db.write(inline(take))
        if known is not None:
            return await self._duplicate(source, filename, known, keep_source)
        target = file_path(self.settings, record)
        self._placing.add(book.id)
        try:
            await asyncio.to_thread(self._place, source, target, sha256, keep_source)
        except OSError:
            async with self.db.write() as conn:  # the file never arrived: forget the book, keep the source
                await self.jobs.forget_book(conn, book.id)
                await book_rows.delete(conn, book.id)
            raise
        finally:
            self._placing.discard(book.id)
        assert job is not None
        await self.jobs.submit(job)
        log.info("took %s into the inbox as book %s", filename, book.id)
        return Accepted(filename=filename, book_id=book.id)

    async def title_of(self, book_id: str) -> str | None:
        """The title of the book a duplicate upload matched, so the uploader is told which one."""
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id, with_files=False)
        return book.title if book else None

    def _place(self, source: Path, target: Path, sha256: str, keep_source: bool) -> None:
        if keep_source:
            durable.copy_verified(source, target, sha256)
            return
        durable.move_verified(source, target, sha256)
        inbox = self.settings.inbox_dir
        if inbox.resolve() in source.resolve().parents:
            durable.prune_empty_dirs(source.parent, inbox)

    async def _duplicate(self, source: Path, filename: str, known: BookFile, keep_source: bool) -> Accepted:
        managed = file_path(self.settings, known)
        resumable = known.root == "incoming" and known.book_id not in self._placing and not keep_source
        if resumable and not managed.exists():
            # The process stopped between committing that book and moving its file: finish the move.
            await asyncio.to_thread(self._place, source, managed, known.sha256, False)
            log.info("finished placing %s for book %s", filename, known.book_id)
            return Accepted(filename=filename, book_id=known.book_id)
        if keep_source:
            return Accepted(filename=filename, book_id=known.book_id, duplicate=True)
        target = await asyncio.to_thread(durable.unique_target, self.settings.duplicates_dir, filename)
        await asyncio.to_thread(self._place, source, target, known.sha256, False)
        log.info("%s duplicates book %s; kept in %s", filename, known.book_id, target)
        return Accepted(filename=filename, book_id=known.book_id, duplicate=True, duplicate_path=target)

    # -- parsing (the parse task) --------------------------------------------------

    def parse(self, book_id: str) -> None:
        """Read the book's file and save what it says. Blocking: runs in a worker thread, where the
        CPU work (parsing, cover thumbnails) belongs; the database steps run on the server's loop.
        FormatError fails the job at once with the reader's sentence."""
        source = self._on_loop(self.parse_source(book_id))
        if source is None:
            return  # deleted or already parsed
        path, _ = source
        kind, first, second = self.reader(path)
        if kind == "format_error":
            raise FormatError(first, second)
        self._on_loop(self.save_parsed(book_id, first, second))

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the server's loop as background work: its writes wait behind requests'."""

        async def background() -> T:
            mark_background()
            return await work

        return asyncio.run_coroutine_threadsafe(background(), self.loop).result()

    async def parse_source(self, book_id: str) -> tuple[Path, str] | None:
        """(path, stored filename) of the file to parse, or None when the book went away."""
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        if book is None or book.status != "processing" or not book.files:
            return None
        if book.stage != "parsing":
            await self.db.write(inline(partial(book_rows.set_stage, book_id=book_id, stage="parsing")))
        first = book.files[0]
        return file_path(self.settings, first), first.filename

    async def save_parsed(self, book_id: str, parsed: ParsedBook, cover_sha256: str | None) -> None:
        """Fill the book from its file, replace the ``file`` candidate, put the book in review and
        queue its lookup."""
        now = clock.now_iso()

        async def save(conn: aiosqlite.Connection) -> tuple[Job | None, bool]:
            book = await book_rows.get(conn, book_id)
            if book is None or book.status != "processing":
                return None, False
            _fill(book, parsed, cover_sha256, now)
            isbns = [i for i in (book.isbn13, book.isbn10) if i]
            sort_title = book_rows.sort_title(book.title)
            assert book.num is not None  # read from its row, so it has the row's number
            book.possible_duplicate_of = await duplicates.similar_book(
                conn, book.id, book.num, isbns, sort_title, book.author_sort
            )
            await duplicates.flag_later_arrivals(conn, book.id, book.num, isbns, sort_title, book.author_sort)
            # Reviewable now, from the file's own metadata: lookups run apart and land as
            # candidates whenever each provider answers, never holding back the next parse.
            book.status, book.stage = "review", None
            await book_rows.save(conn, book)
            if book.files and parsed.page_count:
                await book_rows.set_page_count(conn, book.files[0].id, parsed.page_count)
            await candidate_rows.delete_source(conn, book_id, "file")
            await candidate_rows.insert(conn, file_candidate(book, now))
            if self.lookups_on():
                return await self.jobs.prepare(conn, "lookup_metadata", book_id)
            return None, False

        job, new = await self.db.write(inline(save))  # one trip: see accept
        if job is not None and new:
            await self.jobs.submit(job)
        elif job is not None:
            self.jobs.hurry(job)  # parsed again (a rescan) while its lookups wait: ask them now


# The job service's hooks for the ingest queues (parse, metadata), wired by the runtime.


async def job_failed(conn: aiosqlite.Connection, job: Job) -> None:
    """An ingest step gave up: the book shows as failed with the job's reason."""
    if job.book_id:
        await book_rows.fail_processing(conn, job.book_id, job.error, clock.now_iso())


async def job_retried(conn: aiosqlite.Connection, job: Job) -> None:
    stage = "parsing" if job.queue == "parse" else "fetching_metadata"
    if job.book_id:
        await book_rows.resume_failed(conn, job.book_id, stage, clock.now_iso())


def _fill(book: Book, parsed: ParsedBook, cover_sha256: str | None, now: str) -> None:
    book.title = (parsed.title or "").strip() or book.title
    book.subtitle = parsed.subtitle
    book.authors = [a.strip() for a in parsed.authors if a and a.strip()]
    first = book.authors[0] if book.authors else ""
    book.author_sort = fold(book_rows.author_sort_name(first)) if first else ""
    book.series, book.series_index = parsed.series, parsed.series_index
    book.isbn10, book.isbn13 = parsed.isbn10, parsed.isbn13
    book.identifiers = dict(parsed.identifiers)
    book.language, book.publisher = parsed.language, parsed.publisher
    book.published_year, book.description = parsed.published_year, parsed.description
    book.page_count = parsed.page_count
    book.genres = list(dict.fromkeys(g for g in parsed.genres if g))
    book.contributors = list(parsed.contributors)
    book.cover_sha256 = cover_sha256
    book.error = None
    book.updated_at = now


def file_candidate(book: Book, now: str) -> Candidate:
    """What the file itself says, in the API's candidate shape, with a perfect score."""
    data = {
        "title": book.title, "subtitle": book.subtitle, "authors": book.authors, "series": book.series,
        "seriesIndex": book.series_index, "isbn10": book.isbn10, "isbn13": book.isbn13,
        "publisher": book.publisher, "publishedYear": book.published_year, "language": book.language,
        "description": book.description, "pageCount": book.page_count, "genres": book.genres,
        "coverUrl": book.cover_url(),
    }  # fmt: skip
    return Candidate(id=str(uuid.uuid4()), book_id=book.id, source="file", source_id=None, score=1.0, data=data,
                     fetched_at=now)  # fmt: skip
