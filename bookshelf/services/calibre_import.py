"""Importing a calibre library: its metadata taken as approved, every format one book, originals untouched.

calibre keeps each book in ``Author/Title (id)/`` with ``<name>.<fmt>`` files,
``cover.jpg`` and ``metadata.opf``; ``metadata.db`` holds the metadata. Each
book is recorded as ``calibre:<library uuid>:<book id>`` in ``import_sources``
in the same transaction as its rows, so a rerun continues where a killed run
stopped. Books go straight to the library (status organized, each filed under
the current template by the organize service as soon as it is committed), or with
``review`` to the inbox with a ``calibre`` candidate holding calibre's view.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from pathlib import Path

from bookshelf import clock
from bookshelf.db import Database, calibre
from bookshelf.db import books as book_rows
from bookshelf.db import imports as import_rows
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.services import import_copy, import_store
from bookshelf.services.import_filing import Filing, Organize
from bookshelf.services.import_report import ImportReport
from bookshelf.services.ingest import file_candidate, store_cover
from bookshelf.services.transfer import safe_name
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.import")
BATCH = 200
# Books in flight at once: hashing, copying with fsync and cover thumbnails overlap in threads
# while the single writer commits; more than this gains nothing on two cores.
CONCURRENCY = 4
UNDEFINED_YEAR = 101  # calibre's "no date" is 0101-01-01


def book_from_calibre(cb: calibre.CalibreBook, status: str, now: str) -> Book:
    """calibre's metadata in bookshelf's shape (ratings 0..10 become 0..5, HTML comments plain text)."""
    from bookshelf.formats.isbn import both_forms
    from bookshelf.formats.language import to_bcp47
    from bookshelf.formats.plaintext import clean, html_to_text

    authors = [name for name, _ in cb.authors if name and name.strip()]
    if authors == ["Unknown"]:
        authors = []
    first_sort = next((sort for name, sort in cb.authors if authors and name == authors[0]), None)
    identifiers = {k: str(v).strip() for k, v in cb.identifiers.items() if v and str(v).strip()}
    isbn10, isbn13 = both_forms(identifiers.get("isbn") or cb.isbn)
    book = Book(
        id=str(uuid.uuid4()), status=status, title=clean(cb.title) or "Unknown", authors=authors,
        author_sort=book_rows.fold(first_sort or book_rows.author_sort_name(authors[0])) if authors else "",
        series=clean(cb.series), series_index=cb.series_index if cb.series else None,
        isbn10=isbn10, isbn13=isbn13, identifiers=identifiers, publisher=clean(cb.publisher),
        published_year=published_year(cb.pubdate), language=next(filter(None, map(to_bcp47, cb.languages)), None),
        description=html_to_text(cb.comments), genres=list(dict.fromkeys(t.strip() for t in cb.tags if t.strip())),
        rating=cb.rating / 2 if cb.rating else None, created_at=now, updated_at=now,
        organized_at=now if status == "organized" else None,
    )  # fmt: skip
    return book


def published_year(pubdate: str | None) -> int | None:
    try:
        year = int(str(pubdate or "")[:4])
    except ValueError:
        return None
    return year if year > UNDEFINED_YEAR else None


def calibre_candidate(book: Book, calibre_id: int, now: str) -> Candidate:
    """calibre's metadata as a candidate, so approving from the inbox can pick any of it back."""
    candidate = file_candidate(book, now)
    candidate.source, candidate.source_id = "calibre", str(calibre_id)
    candidate.data["coverUrl"] = None  # the cover is already the book's; nothing to fetch
    return candidate


class CalibreImporter:
    def __init__(self, db: Database, settings: Settings, report: ImportReport, organize: Organize | None) -> None:
        self.db = db
        self.settings = settings
        self.report = report
        self.organize = organize
        self._filing: Filing | None = None  # set for a run that files books as they are imported

    async def run(self, library: Path, *, review: bool = False, move: bool = False) -> ImportReport:
        library = library.resolve()
        conn = await asyncio.to_thread(calibre.connect, library)
        try:
            await import_store.settle_leftovers(self.db, self.settings)
            prefix = f"calibre:{await asyncio.to_thread(calibre.library_uuid, conn)}:"
            if not review and self.organize is not None:
                self._filing = Filing(self.organize, self.report)
                async with self.db.read() as reader:  # a killed run's books: imported, not filed yet
                    for book_id in await import_rows.books_with_incoming_files(reader, prefix):
                        self._filing.add(book_id)
            ids = await asyncio.to_thread(calibre.book_ids, conn)
            done = await import_store.done_sources(self.db, [f"{prefix}{i}" for i in ids])
            todo = [i for i in ids if f"{prefix}{i}" not in done]
            self.report.total, self.report.earlier = len(todo), len(ids) - len(todo)
            await self.report.emit(False)
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one(cb: calibre.CalibreBook) -> None:
                async with slots:
                    await self._one(library, prefix, cb, review, move)

            for start in range(0, len(todo), BATCH):
                books = await asyncio.to_thread(calibre.read_books, conn, todo[start : start + BATCH])
                await asyncio.gather(*(one(cb) for cb in books))
        except BaseException:
            if self._filing is not None:
                await self._filing.cancel()
            raise
        finally:
            conn.close()
        if self._filing is not None:
            await self._filing.finish()
        await self.report.emit(True)
        return self.report

    async def _one(self, library: Path, prefix: str, cb: calibre.CalibreBook, review: bool, move: bool) -> None:
        source, name = f"{prefix}{cb.id}", f"{cb.title} ({cb.path})"
        try:
            await self._import(library, source, name, cb, review, move)
        except (OSError, sqlite3.DatabaseError, calibre.CalibreError) as exc:
            await self.report.add("failed", source, name, reason=getattr(exc, "strerror", None) or str(exc))
        except Exception as exc:  # one odd book must not stop a 10,000-book run; its reason is kept
            log.exception("importing calibre book %s failed", cb.id)
            await self.report.add("failed", source, name, reason=f"{type(exc).__name__}: {exc}")

    async def _import(self, library: Path, source: str, name: str, cb: calibre.CalibreBook, review: bool,
                      move: bool) -> None:  # fmt: skip
        folder = _inside(library, cb.path)
        if folder is None:
            await self.report.add("failed", source, name, reason=f"book folder {cb.path!r} is outside the library")
            return
        found, dups = await self._formats(library, folder, source, name, cb)
        if not found:
            if dups:
                await import_store.record_duplicate(self.db, source, dups[0])
                await self.report.add("duplicates", source, name, book_id=dups[0])
            else:
                await self.report.add("skipped", source, name, reason="no book file in a supported format")
            return
        now = clock.now_iso()
        book = book_from_calibre(cb, "review" if review else "organized", now)
        cover = folder / "cover.jpg"
        if cb.has_cover and await asyncio.to_thread(cover.is_file):
            image = await asyncio.to_thread(cover.read_bytes)
            book.cover_sha256 = await asyncio.to_thread(store_cover, self.settings, image)
        staging = self.settings.incoming_dir / book.id
        files, parts = [], {}
        try:
            for ident, filename, fmt in found:
                record = BookFile(id=str(uuid.uuid4()), book_id=book.id, format=fmt, root="incoming",
                                  path=f"{book.id}/{filename}", filename=filename, size=ident.size,
                                  sha256=ident.sha256, koreader_hash=ident.koreader, page_count=None,
                                  added_at=now)  # fmt: skip
                parts[record.id] = (await asyncio.to_thread(import_copy.stage, ident.path, staging, record.id,
                                                            ident.sha256), ident)  # fmt: skip
                files.append(record)
            candidate = calibre_candidate(book, cb.id, now) if review else None
            sorts = {n: s for n, s in cb.authors if s}
            kept, late = await import_store.commit_book(self.db, book, files, source, candidate=candidate,
                                                        author_sorts=sorts)  # fmt: skip
        except BaseException:
            for part, _ in parts.values():
                await asyncio.to_thread(import_copy.discard, part)
            raise
        for record in late:
            await asyncio.to_thread(import_copy.discard, parts[record.id][0])
        if not kept:
            await self.report.add("duplicates", source, name, reason="imported meanwhile")
            return
        for record in kept:
            part, ident = parts[record.id]
            await asyncio.to_thread(import_copy.place, part, staging / record.filename)
            if move:
                await asyncio.to_thread(import_copy.release_source, ident.path, ident.sha256)
        await self.report.add("imported", source, name, book_id=book.id)
        if self._filing is not None and not review:
            self._filing.add(book.id)

    async def _formats(self, library: Path, folder: Path, source: str, name: str, cb: calibre.CalibreBook,
                       ) -> tuple[list[tuple[import_store.Identity, str, str]], list[str]]:  # fmt: skip
        """(identity, stored filename, format) of each new file, and the ids of books already holding others."""
        found: list[tuple[import_store.Identity, str, str]] = []
        dups: list[str] = []
        seen: set[str] = set()
        for fmt, stem in cb.formats:
            ext = fmt.lower()
            if ext not in import_store.SUPPORTED:
                await self.report.add("skipped", source, name, reason=f"format {fmt} is not supported", counts=False)
                continue
            path = _inside(library, f"{cb.path}/{stem}.{ext}")
            if path is None or path.parent != folder or not await asyncio.to_thread(path.is_file):
                await self.report.add("failed", source, name, reason=f"{fmt} file {stem}.{ext} is missing",
                                      counts=False)  # fmt: skip
                continue
            ident = await asyncio.to_thread(import_store.identify, path)
            known = await import_store.known_file(self.db, ident.sha256)
            if known is not None or ident.sha256 in seen:
                if known is not None:
                    dups.append(known.book_id)
                continue
            seen.add(ident.sha256)
            found.append((ident, safe_name(f"{stem}.{ext}"), import_store.SUPPORTED[ext]))
        if found and dups:
            await self.report.add("duplicates", source, name, book_id=dups[0], counts=False,
                                  reason=f"some formats are already in book {dups[0]}")  # fmt: skip
        return found, dups


def _inside(library: Path, relative: str) -> Path | None:
    """``library/relative`` resolved, or None if metadata.db points it anywhere outside the library."""
    if not relative or relative.startswith(("/", "\\")):
        return None
    path = (library / relative).resolve()
    return path if library in path.parents else None
