"""Importing a calibre library: its metadata taken as approved, every format one book, originals untouched.

calibre keeps each book in ``Author/Title (id)/`` with ``<name>.<fmt>`` files,
``cover.jpg`` and ``metadata.opf``; ``metadata.db`` holds the metadata. When
metadata.db is missing or damaged, each book's metadata.opf is read instead. Each
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
from dataclasses import dataclass
from pathlib import Path

from bookshelf import clock
from bookshelf.db import Database, calibre
from bookshelf.db import books as book_rows
from bookshelf.db import imports as import_rows
from bookshelf.errors import CalibreError
from bookshelf.folding import fold
from bookshelf.formats import FormatError, koreader_partial_md5, write_epub_copy
from bookshelf.formats.isbn import both_forms
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import EpubMetadata
from bookshelf.formats.plaintext import clean, html_to_text
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.services.importing import calibre_opf
from bookshelf.services.importing import store as import_store
from bookshelf.services.importing.filing import Filer, Filing
from bookshelf.services.importing.report import ImportReport
from bookshelf.services.ingest.pipeline import file_candidate
from bookshelf.services.names.disk import safe_name
from bookshelf.services.storage import durable
from bookshelf.services.storage.coverstore import read_cover, store_cover
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.import")
BATCH = 200
# Books in flight at once: hashing, copying with fsync and cover thumbnails overlap in threads
# while the single writer commits; more than this gains nothing on two cores.
CONCURRENCY = 4
UNDEFINED_YEAR = 101  # calibre's "no date" is 0101-01-01


def book_from_calibre(cb: calibre.CalibreBook, status: str, now: str) -> Book:
    """calibre's metadata in bookshelf's shape (ratings 0..10 become 0..5, HTML comments plain text)."""
    authors = [name for name, _ in cb.authors if name and name.strip()]
    if authors == ["Unknown"]:
        authors = []
    first_sort = next((sort for name, sort in cb.authors if authors and name == authors[0]), None)
    identifiers = {k: str(v).strip() for k, v in cb.identifiers.items() if v and str(v).strip()}
    isbn10, isbn13 = both_forms(identifiers.get("isbn") or cb.isbn)
    book = Book(
        id=str(uuid.uuid4()), status=status, title=clean(cb.title) or "Unknown", authors=authors,
        author_sort=fold(first_sort or book_rows.author_sort_name(authors[0])) if authors else "",
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


_Part = tuple[Path, import_store.Identity]  # a staged part file and the source it was made from
_Changed = dict[str, import_store.Rewritten]  # file id -> how its stored bytes differ from the source


@dataclass
class _Embed:
    meta: EpubMetadata
    fingerprint: str
    cover: bytes | None  # the stored (normalised) cover


class CalibreImporter:
    def __init__(self, db: Database, settings: Settings, report: ImportReport, filer: Filer | None) -> None:
        self.db = db
        self.settings = settings
        self.report = report
        self.filer = filer
        self._filing: Filing | None = None  # set for a run that files books as they are imported

    async def run(self, library: Path, *, review: bool = False, move: bool = False) -> ImportReport:
        library = library.resolve()
        books_of, fallback = await asyncio.to_thread(calibre_opf.open_library, library)
        try:
            if fallback is not None:
                log.warning("calibre library %s: %s", library, fallback)
                await self.report.add("notice", str(library), "metadata.db", reason=fallback, counts=False)
            await import_store.settle_leftovers(self.db, self.settings)
            prefix = f"calibre:{books_of.uuid}:"
            if not review and self.filer is not None:
                self._filing = Filing(self.filer.organize_book, self.report)
                async with self.db.read() as reader:  # a killed run's books: imported, not filed yet
                    for book_id in await import_rows.books_with_incoming_files(reader, prefix):
                        self._filing.add(book_id)
            ids = await asyncio.to_thread(books_of.book_ids)
            done = await import_store.done_sources(self.db, [f"{prefix}{i}" for i in ids])
            todo = [i for i in ids if f"{prefix}{i}" not in done]
            self.report.total, self.report.earlier = len(todo), len(ids) - len(todo)
            await self.report.emit(False)
            slots = asyncio.Semaphore(CONCURRENCY)

            async def one(cb: calibre.CalibreBook) -> None:
                async with slots:
                    await self._one(library, prefix, cb, review, move)

            for start in range(0, len(todo), BATCH):
                books = await asyncio.to_thread(books_of.read_books, todo[start : start + BATCH])
                await self._unreadable(books_of, prefix)
                await asyncio.gather(*(one(cb) for cb in books))
        except BaseException:
            if self._filing is not None:
                await self._filing.cancel()
            raise
        finally:
            books_of.close()
        if self._filing is not None:
            await self._filing.finish()
        await self.report.emit(True)
        return self.report

    async def _unreadable(self, books_of: calibre.MetadataDb | calibre_opf.OpfLibrary, prefix: str) -> None:
        """Books whose metadata.opf could not be read (when reading those): failed, tried again next run."""
        if isinstance(books_of, calibre_opf.OpfLibrary):
            for book_id, folder, reason in books_of.problems:
                await self.report.add("failed", f"{prefix}{book_id}", folder, reason=reason)
            books_of.problems.clear()

    async def _one(self, library: Path, prefix: str, cb: calibre.CalibreBook, review: bool, move: bool) -> None:
        source, name = f"{prefix}{cb.id}", f"{cb.title} ({cb.path})"
        try:
            await self._import(library, source, name, cb, review, move)
        except (OSError, sqlite3.DatabaseError, CalibreError) as exc:
            await self.report.add("failed", source, name, reason=getattr(exc, "strerror", None) or str(exc))
        except Exception as exc:  # one odd book must not stop a 10,000-book run; its reason is kept
            log.exception("importing calibre book %s failed", cb.id)
            await self.report.add("failed", source, name, reason=f"{type(exc).__name__}: {exc}")

    async def _import(self, library: Path, source: str, name: str, cb: calibre.CalibreBook, review: bool,
                      move: bool) -> None:  # fmt: skip
        wanted = [(fmt, stem) for fmt, stem in cb.formats if fmt.lower() in import_store.SUPPORTED]
        folder, idents = await asyncio.to_thread(_probe, library, cb.path, wanted)
        if folder is None:
            await self.report.add("failed", source, name, reason=f"book folder {cb.path!r} is outside the library")
            return
        found, dups = await self._formats(source, name, cb, dict(zip(wanted, idents, strict=True)))
        if not found:
            if dups:
                await import_store.record_duplicate(self.db, source, dups[0])
                await self.report.add("duplicates", source, name, book_id=dups[0])
            else:
                await self.report.add("skipped", source, name, reason="no book file in a supported format")
            return
        now = clock.now_iso()
        book = book_from_calibre(cb, "review" if review else "organized", now)
        staging = self.settings.incoming_dir / book.id
        embed = self._filing is not None and not review
        # The cover, then each file's part, in one trip to a thread: hand-offs add up over thousands of books.
        files, parts, rewritten = await asyncio.to_thread(
            self._write_files, book, folder / "cover.jpg" if cb.has_cover else None, found, staging, embed
        )
        try:
            candidate = calibre_candidate(book, cb.id, now) if review else None
            sorts = {n: s for n, s in cb.authors if s}
            kept, late = await import_store.commit_book(self.db, book, files, source, candidate=candidate,
                                                        author_sorts=sorts, rewritten=rewritten)  # fmt: skip
        except BaseException:
            for part, _ in parts.values():
                await asyncio.to_thread(durable.discard_staged, part)
            raise
        for record in late:
            await asyncio.to_thread(durable.discard_staged, parts[record.id][0])
        if not kept:
            await self.report.add("duplicates", source, name, reason="imported meanwhile")
            return

        def place_all() -> None:
            for record in kept:
                part, ident = parts[record.id]
                durable.place_staged(part, staging / record.filename)
                if move:
                    durable.release_source(ident.path, ident.sha256)

        await asyncio.to_thread(place_all)
        await self.report.add("imported", source, name, book_id=book.id)
        if self._filing is not None and not review:
            self._filing.add(book.id)

    def _write_files(self, book: Book, cover: Path | None, found: list[tuple[import_store.Identity, str, str]],
                     staging: Path, embed: bool) -> tuple[list[BookFile], dict[str, _Part], _Changed]:  # fmt: skip
        """Blocking: calibre's cover stored as the book's, then a part in incoming/ for each file."""
        if cover is not None:
            book.cover_sha256 = _store_calibre_cover(self.settings, cover)
        wanted = self._embedding(book, found) if embed else None
        files: list[BookFile] = []
        parts: dict[str, _Part] = {}
        rewritten: _Changed = {}
        try:
            for ident, filename, fmt in found:
                record = BookFile(id=str(uuid.uuid4()), book_id=book.id, format=fmt, root="incoming",
                                  path=f"{book.id}/{filename}", filename=filename, size=ident.size,
                                  sha256=ident.sha256, koreader_hash=ident.koreader, page_count=None,
                                  added_at=book.created_at)  # fmt: skip
                part, changed = self._stage(ident, staging, record, wanted)
                parts[record.id] = (part, ident)
                if changed is not None:
                    rewritten[record.id] = changed
                files.append(record)
        except BaseException:
            for part, _ in parts.values():
                durable.discard_staged(part)
            raise
        return files, parts, rewritten

    def _embedding(self, book: Book, found: list[tuple[import_store.Identity, str, str]]) -> _Embed | None:
        """What filing will embed into the book's EPUBs, with the stored cover (None: nothing to embed)."""
        if self.filer is None or not any(fmt == "epub" for _, _, fmt in found):
            return None
        wanted = self.filer.embedding(book)
        if wanted is None:
            return None
        return _Embed(wanted[0], wanted[1], read_cover(self.settings, book.cover_sha256))

    def _stage(self, ident: import_store.Identity, staging: Path, record: BookFile,
               embed: _Embed | None) -> tuple[Path, import_store.Rewritten | None]:  # fmt: skip
        """The book file's part in incoming/ (blocking). An EPUB of a book being filed is written
        with its metadata and cover embedded, as filing would, so filing only has to move it; one
        that cannot be is copied as it is (filing then tries, and notes why not)."""
        if embed is not None and record.format == "epub":

            def write(src: Path, dst: Path) -> str:
                return write_epub_copy(src, dst, embed.meta, embed.cover, cover_ready=True)

            try:
                part, sha256 = durable.stage_written(ident.path, staging, record.id, write)
            except FormatError:
                pass
            else:
                record.sha256, record.size = sha256, part.stat().st_size
                record.koreader_hash = koreader_partial_md5(part)
                return part, import_store.Rewritten(ident, embed.fingerprint)
        return durable.stage(ident.path, staging, record.id, ident.sha256), None

    async def _formats(self, source: str, name: str, cb: calibre.CalibreBook,
                       idents: dict[tuple[str, str], import_store.Identity | None],
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
            ident = idents.get((fmt, stem))
            if ident is None:
                await self.report.add("failed", source, name, reason=f"{fmt} file {stem}.{ext} is missing",
                                      counts=False)  # fmt: skip
                continue
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


def _probe(library: Path, relative: str, formats: list[tuple[str, str]],
           ) -> tuple[Path | None, list[import_store.Identity | None]]:  # fmt: skip
    """The book's folder (None if metadata.db points outside the library) and the hashes of each
    (format, file stem), None for a missing file. Blocking: one trip to a thread for the whole book."""
    folder = _inside(library, relative)
    if folder is None:
        return None, []
    return folder, [_identify_in(library, folder, f"{relative}/{stem}.{fmt.lower()}") for fmt, stem in formats]


def _identify_in(library: Path, folder: Path, relative: str) -> import_store.Identity | None:
    """Hashes of a book's file, or None when it is missing or metadata.db points it out of the folder."""
    path = _inside(library, relative)
    if path is None or path.parent != folder or not path.is_file():
        return None
    return import_store.identify(path)


def _store_calibre_cover(settings: Settings, cover: Path) -> str | None:
    """calibre's cover.jpg stored as the book's cover (None when it is missing or unusable). Blocking."""
    try:
        image = cover.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    return store_cover(settings, image)


def _inside(library: Path, relative: str) -> Path | None:
    """``library/relative`` resolved, or None if metadata.db points it anywhere outside the library."""
    if not relative or relative.startswith(("/", "\\")):
        return None
    path = (library / relative).resolve()
    return path if library in path.parents else None
