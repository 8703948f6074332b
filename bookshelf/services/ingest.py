"""Ingest: a dropped, uploaded or imported file becomes an inbox book, then is parsed.

Order matters because files are sacred: hash first; a file whose bytes are already known
goes to data/duplicates (never deleted); otherwise the book, file and parse job rows are
committed, and only then is the file moved into data/incoming/<bookId>/.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database, duplicates
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.db.jobs import Job
from bookshelf.errors import InvalidInput
from bookshelf.folding import fold
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.services import transfer
from bookshelf.services.files import cover_path, file_path, fsync_dir
from bookshelf.services.jobs import JobService
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.ingest")

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
    from bookshelf.formats import FormatError, detect_format

    try:
        return detect_format(path)
    except FormatError as exc:
        by_name = BOOK_EXTENSIONS.get(path.suffix.lower())
        if trust_extension and by_name:
            return by_name
        raise Unsupported(exc.message, exc.reason) from None


def file_identity(path: Path) -> tuple[str, str, int]:
    """(koreader partial md5, sha256, size) in one read."""
    from bookshelf.formats import file_hashes

    koreader, sha256 = file_hashes(path)
    return koreader, sha256, path.stat().st_size


def _examine(path: Path, fmt: str | None, trust_extension: bool) -> tuple[str, str, str, int]:
    """(format, koreader partial md5, sha256, size): one trip to a worker thread."""
    return (fmt or sniff_format(path, trust_extension), *file_identity(path))


class IngestService:
    def __init__(self, db: Database, settings: Settings, jobs: JobService,
                 lookups_on: Callable[[], bool] = lambda: True) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.jobs = jobs
        self.lookups_on = lookups_on  # whether any metadata source is chosen (metadataSources)
        self._placing: set[str] = set()  # books whose file this process is moving in right now
        jobs.on_failed["parse"] = self._job_failed
        jobs.on_failed["metadata"] = self._job_failed
        jobs.on_retry["parse"] = self._job_retried
        jobs.on_retry["metadata"] = self._job_retried

    # -- taking a file -----------------------------------------------------------

    async def accept(self, source: Path, *, name: str | None = None, fmt: str | None = None,
                     keep_source: bool = False, trust_extension: bool = True) -> Accepted:  # fmt: skip
        """Take one file into the inbox. ``keep_source`` copies (the CLI's default) instead of moving.

        Raises Unsupported for files that are not books; OSError if the file cannot be read or placed.
        """
        filename = transfer.safe_name(name or source.name)
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
        job: Job | None = None
        async with self.db.write() as conn:
            known = await duplicates.file_with_sha256(conn, sha256)
            if known is None:
                await book_rows.insert(conn, book)
                await book_rows.insert_file(conn, record)
                await book_rows.record_hashes(conn, record.id, now, filenames=[filename])
                job, _ = await self.jobs.prepare(conn, "parse_book", book.id, fresh=True)
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
            transfer.copy_verified(source, target, sha256)
            return
        transfer.move_verified(source, target, sha256)
        inbox = self.settings.inbox_dir
        if inbox.resolve() in source.resolve().parents:
            transfer.remove_empty_parents(source.parent, inbox)

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
        target = await asyncio.to_thread(transfer.unique_target, self.settings.duplicates_dir, filename)
        await asyncio.to_thread(self._place, source, target, known.sha256, False)
        log.info("%s duplicates book %s; kept in %s", filename, known.book_id, target)
        return Accepted(filename=filename, book_id=known.book_id, duplicate=True, duplicate_path=target)

    # -- parsing (called from the parse task) ------------------------------------

    async def parse_source(self, book_id: str) -> tuple[Path, str] | None:
        """(path, stored filename) of the file to parse, or None when the book went away."""
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        if book is None or book.status != "processing" or not book.files:
            return None
        if book.stage != "parsing":
            async with self.db.write() as conn:
                await book_rows.set_stage(conn, book_id, "parsing")
        first = book.files[0]
        return file_path(self.settings, first), first.filename

    async def save_parsed(self, book_id: str, parsed: object, cover_sha256: str | None) -> None:
        """Fill the book from its file, replace the ``file`` candidate, put the book in review and
        queue its lookup."""
        from bookshelf.formats import ParsedBook

        assert isinstance(parsed, ParsedBook)
        now = clock.now_iso()
        async with self.db.write() as conn:
            book = await book_rows.get(conn, book_id)
            if book is None or book.status != "processing":
                return
            _fill(book, parsed, cover_sha256, now)
            isbns = [i for i in (book.isbn13, book.isbn10) if i]
            book.possible_duplicate_of = await duplicates.similar_book(
                conn, book.id, isbns, book_rows.sort_title(book.title), book.author_sort
            )
            # Reviewable now, from the file's own metadata: lookups run apart and land as
            # candidates whenever each provider answers, never holding back the next parse.
            book.status, book.stage = "review", None
            await book_rows.save(conn, book)
            if book.files and parsed.page_count:
                await conn.execute(
                    "UPDATE files SET page_count = ? WHERE id = ?", (parsed.page_count, book.files[0].id)
                )
            await candidate_rows.delete_source(conn, book_id, "file")
            await candidate_rows.insert(conn, file_candidate(book, now))
            job, new = None, False
            if self.lookups_on():
                job, new = await self.jobs.prepare(conn, "lookup_metadata", book_id)
        if job is not None and new:
            await self.jobs.submit(job)
        elif job is not None:
            self.jobs.hurry(job)  # parsed again (a rescan) while its lookups wait: ask them now

    async def _job_failed(self, conn: aiosqlite.Connection, job: Job) -> None:
        """An ingest step gave up: the book shows as failed with the job's reason."""
        if job.book_id:
            await conn.execute(
                "UPDATE books SET status = 'failed', stage = NULL, error = ?, updated_at = ? "
                "WHERE id = ? AND status = 'processing'",
                (job.error, clock.now_iso(), job.book_id),
            )

    async def _job_retried(self, conn: aiosqlite.Connection, job: Job) -> None:
        stage = "parsing" if job.queue == "parse" else "fetching_metadata"
        if job.book_id:
            await conn.execute(
                "UPDATE books SET status = 'processing', stage = ?, error = NULL, updated_at = ? "
                "WHERE id = ? AND status = 'failed'",
                (stage, clock.now_iso(), job.book_id),
            )


def _fill(book: Book, parsed: object, cover_sha256: str | None, now: str) -> None:
    from bookshelf.formats import ParsedBook

    assert isinstance(parsed, ParsedBook)
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


def store_cover(settings: Settings, image: bytes) -> str | None:
    """Normalise and save a cover and its thumbnail under covers/; returns its sha256 (None if unusable)."""
    import hashlib

    from bookshelf.formats import FormatError
    from bookshelf.formats.covers import cover_and_thumbnail

    try:
        data, _, thumb = cover_and_thumbnail(image)
    except FormatError as exc:
        log.info("cover ignored: %s", exc.message)
        return None
    sha = hashlib.sha256(data).hexdigest()
    for path, content in ((cover_path(settings, sha), data), (cover_path(settings, sha, thumb=True), thumb)):
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        part.write_bytes(content)
        os.replace(part, path)
    fsync_dir(cover_path(settings, sha).parent)
    return sha
