"""Organizing books into the library: planned paths, metadata embedded into EPUBs, journaled moves.

Every move is recorded in ``file_moves`` with a durable commit before the disk
changes, done without overwriting anything, then marked done in the same
transaction that updates the file row. ``services.recovery`` finishes or rolls
back whatever a crash interrupted.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import moves as move_rows
from bookshelf.db.connection import inline
from bookshelf.errors import NotFound
from bookshelf.folding import name_key
from bookshelf.formats import EpubMetadata, FormatError, write_epub_copy
from bookshelf.models import Book, BookFile
from bookshelf.services.names.disk import UNKNOWN
from bookshelf.services.organize import naming
from bookshelf.services.organize.recovery import described, finish_move, settle
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.storage import durable
from bookshelf.services.storage.coverstore import read_cover
from bookshelf.services.storage.files import file_path, inside, root_dir
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.organize")
MAX_NUMBERED = 1000
MAX_PASSES = 3
UNWRITABLE = "unwritable:"  # fingerprint prefix: this EPUB could not be rewritten, do not retry each time

Progress = Callable[[int, int], Awaitable[None]]


@dataclass
class OrganizeResult:
    book_id: str
    moved: int = 0
    rewritten: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.moved or self.rewritten)


@dataclass
class _Step:
    """What one file needs: a new place, new bytes, or both."""

    file: BookFile
    dst_path: str
    fingerprint: str | None
    rewrite: bool


@dataclass
class _Rewritten:
    """The outcome of rewriting one EPUB: the copy to place (None: it could not be written)."""

    staged: Path | None
    sha256: str
    embedded: str | None


class _PerBook:
    """A lock per book id, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def _load(book_id: str, conn: aiosqlite.Connection) -> tuple[Book | None, dict[str, str | None]]:
    """The book with its files, and the fingerprint each file was last written with."""
    book = await book_rows.get(conn, book_id)
    if book is None:
        return None, {}
    return book, await move_rows.embedded_many(conn, [f.id for f in book.files])


async def _finish(conn: aiosqlite.Connection, move: move_rows.Move, file: BookFile, embedded: str | None) -> str | None:
    """Record the move, and read the book's updated_at in the same transaction (an edit meanwhile)."""
    await finish_move(conn, move, file, embedded)
    book = await book_rows.get(conn, move.book_id, with_files=False)
    return book.updated_at if book is not None else None


def _needs_rewrite(file: BookFile, stored: dict[str, str | None], wanted: str | None) -> bool:
    """An EPUB whose embedded metadata is not (or could not be made) the wanted one."""
    have = (stored.get(file.id) or "").removeprefix(UNWRITABLE)
    return bool(file.format == "epub" and wanted and have != wanted)


def epub_metadata(book: Book) -> EpubMetadata:
    return EpubMetadata(
        title=book.title or UNKNOWN, authors=list(book.authors),
        author_sort=book_rows.author_sort_name(book.authors[0]) if book.authors else None,
        series=book.series, series_index=book.series_index if book.series else None,
        isbn13=book.isbn13, isbn10=book.isbn10, language=book.language, publisher=book.publisher,
        published_year=book.published_year, description=book.description, genres=list(book.genres),
    )  # fmt: skip


def fingerprint(book: Book) -> str:
    """Identifies the metadata and cover an EPUB was written with."""
    meta = asdict(epub_metadata(book))
    meta["cover"] = book.cover_sha256
    return hashlib.sha256(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


class OrganizeService:
    def __init__(self, db: Database, settings: Settings, preferences: PreferenceService) -> None:
        self.db = db
        self.settings = settings
        self.preferences = preferences
        # Plans are made one at a time under this lock, and each reserves its names until its moves
        # are done and recorded; the EPUB rewrites before and the moves after overlap across books.
        self._naming = asyncio.Lock()
        self._reserved: set[str] = set()  # library paths planned by a move still in progress
        self._books = _PerBook()  # one organize of a given book at a time (a job and an import may both ask)

    @property
    def library(self) -> Path:
        return self.settings.library_dir

    async def organize_book(self, book_id: str) -> OrganizeResult:
        """Bring the book's files in line with its metadata. An edit made while this runs (its
        queued job is this one) is picked up by another pass, so the last edit always lands."""
        async with self._books.hold(book_id):
            result = OrganizeResult(book_id)
            for _ in range(MAX_PASSES):
                if not await self._organize(book_id, result):
                    break
            return result

    def embedding(self, book: Book) -> tuple[EpubMetadata, str] | None:
        """What an EPUB of ``book`` is written with when filed, and its fingerprint (None: embedding is off).
        An importer that writes its copies this way spares filing a second rewrite."""
        if not self.preferences.get("embedMetadata"):
            return None
        return epub_metadata(book), fingerprint(book)

    async def reorganize_all(self, progress: Progress | None = None) -> dict[str, int]:
        """Re-plan every organized book under the current template; unchanged books touch nothing."""
        async with self.db.read() as conn:
            ids = await book_rows.organized_ids(conn)
        totals = {"books": len(ids), "changed": 0, "unchanged": 0, "missing": 0}
        for done, book_id in enumerate(ids, start=1):
            try:
                result = await self.organize_book(book_id)
            except NotFound:
                totals["missing"] += 1  # deleted meanwhile
            else:
                totals["changed" if result.touched else "unchanged"] += 1
            if progress is not None and (done % 10 == 0 or done == len(ids)):
                await progress(done, len(ids))
        return totals

    async def _organize(self, book_id: str, result: OrganizeResult) -> bool:
        """One pass; True when it changed files and the book was edited meanwhile."""
        book, stored = await self.db.read(inline(partial(_load, book_id)))
        if book is None:
            raise NotFound("Book not found")
        if book.status != "organized":
            result.notes.append(f"book is {book.status}, not organized")
            return False
        wanted = fingerprint(book) if self.preferences.get("embedMetadata") else None
        rewrites = [f for f in book.files if _needs_rewrite(f, stored, wanted)]
        written = await self._rewrite_all(book, rewrites, wanted, result) if rewrites else {}
        steps: list[_Step] = []
        try:
            async with self._naming:
                steps = await self._plan(book, stored, wanted)
                self._reserved.update(step.dst_path for step in steps)
            result.unchanged = len(book.files) - len(steps)
            seen: str | None = None  # the book's updated_at, read as the last move was recorded
            for step in steps:
                seen = await self._apply(book, step, written.pop(step.file.id, None), result)
        finally:
            # Released once the moves are recorded: from then on the files' rows hold the names.
            self._reserved.difference_update(step.dst_path for step in steps)
            for leftover in written.values():  # a step that failed before using its copy
                if leftover.staged is not None:
                    await asyncio.to_thread(leftover.staged.unlink, missing_ok=True)
        if not steps:
            return False
        if seen is None:
            async with self.db.read() as conn:
                now = await book_rows.get(conn, book_id, with_files=False)
            seen = now.updated_at if now is not None else book.updated_at
        return seen != book.updated_at

    async def _plan(self, book: Book, stored: dict[str, str | None], wanted: str | None) -> list[_Step]:
        template = self.preferences.get("organizeTemplate")
        claimed: set[str] = set()
        steps = []
        for file in book.files:
            base = naming.planned_path(book, template, file.format)
            dst = await self._free_path(file, base, claimed)
            claimed.add(dst)
            rewrite = _needs_rewrite(file, stored, wanted)
            moved = not (file.root == "library" and file.path == dst)
            if moved or rewrite:
                steps.append(_Step(file, dst, wanted if file.format == "epub" else None, rewrite))
        return steps

    async def _free_path(self, file: BookFile, base: str, claimed: set[str]) -> str:
        """``base`` or its first numbered variant that no other file holds, on disk or in the DB."""
        folder, _, name = base.rpartition("/")
        own = file.path if file.root == "library" else None
        # Variants are made 20 at a time: nearly every file takes the first, and naming
        # all 1000 up front cost more than the rest of filing the book.
        for start in range(1, MAX_NUMBERED + 1, 20):
            batch = [f"{folder}/{naming.numbered(name, n)}" for n in range(start, min(start + 20, MAX_NUMBERED + 1))]
            async with self.db.read() as conn:
                taken = await move_rows.paths_taken(conn, "library", batch)
            # Names are compared as a case-insensitive disk would (SMB, APFS, exFAT; a copy of the
            # library on one): "Dune" and "DUNE" must never share a file there.
            busy = {name_key(p) for p in (*claimed, *self._reserved)}
            for path in batch:
                if path == own:
                    return path
                if name_key(path) in busy or taken.get(path, file.id) != file.id:
                    continue
                if not await asyncio.to_thread((self.library / path).exists):
                    return path
        raise OSError(f"no free name for {base} after {MAX_NUMBERED} tries")

    async def _apply(self, book: Book, step: _Step, written: _Rewritten | None,
                     result: OrganizeResult) -> str | None:  # fmt: skip
        """Place one file; returns the book's updated_at when read in the recording transaction."""
        file = step.file
        src = file_path(self.settings, file)
        if not await asyncio.to_thread(src.exists):
            raise NotFound(f"File {file.filename} is missing from {file.root}")
        staged: Path | None = None
        dst_sha = file.sha256
        embedded = step.fingerprint
        if step.rewrite:
            assert written is not None  # the same decision made the copy before the plan
            staged, dst_sha, embedded = written.staged, written.sha256, written.embedded
            if staged is None and file.root == "library" and file.path == step.dst_path:
                # Nothing to move and nothing written.
                await self.db.write(inline(partial(move_rows.set_embedded, file_id=file.id, fingerprint=embedded)))
                return None
        move = move_rows.Move(
            file_id=file.id, book_id=book.id, src_root=file.root, src_path=file.path, dst_root="library",
            dst_path=step.dst_path, dst_sha256=dst_sha, staged_path=str(staged) if staged else None,
            created_at=clock.now_iso(),
        )  # fmt: skip
        await self.db.write(inline(partial(move_rows.plan, move=move)), durable=True)
        dst = inside(self.library, step.dst_path)
        move_id = move.id
        assert move_id is not None

        def disk() -> BookFile:
            self._execute(src, dst, staged, dst_sha, move_id)
            old_root = root_dir(self.settings, file.root)
            if src != dst and old_root is not None:
                durable.prune_empty_dirs(src.parent, old_root)
            return described(file, dst, dst_sha, step.dst_path)

        try:
            updated = await asyncio.to_thread(disk)
        except Exception as exc:
            # The thread has stopped: the disk says whether the move got far enough to keep.
            # (On cancellation the thread may still run; start-up recovery settles it then.)
            if await settle(self.db, self.settings, move, reason=f"{type(exc).__name__}: {exc}") != "done":
                raise
            result.moved += int(src != dst)
            return None
        seen = await self.db.write(inline(partial(_finish, move=move, file=updated, embedded=embedded)))
        result.moved += int(src != dst)
        return seen

    async def _rewrite_all(self, book: Book, files: list[BookFile], wanted: str | None,
                           result: OrganizeResult) -> dict[str, _Rewritten]:  # fmt: skip
        """Rewritten copies in data/tmp of the book's EPUBs, made before its moves are planned."""
        cover = await asyncio.to_thread(read_cover, self.settings, book.cover_sha256)
        written: dict[str, _Rewritten] = {}
        try:
            for file in files:
                written[file.id] = await self._rewrite(book, file, cover, wanted, result)
        except BaseException:
            for done in written.values():
                if done.staged is not None:
                    await asyncio.to_thread(done.staged.unlink, missing_ok=True)
            raise
        return written

    async def _rewrite(self, book: Book, file: BookFile, cover: bytes | None, wanted: str | None,
                       result: OrganizeResult) -> _Rewritten:  # fmt: skip
        """A rewritten copy in data/tmp; on an EPUB we cannot write, the file moves unchanged."""
        staged = self.settings.tmp_dir / f"organize-{file.id}.epub"
        meta = epub_metadata(book)

        def work() -> str:
            src = file_path(self.settings, file)
            if not src.exists():
                raise NotFound(f"File {file.filename} is missing from {file.root}")
            staged.unlink(missing_ok=True)  # a stale copy from a killed run (recovery has settled its move)
            # The cover comes from our store, where it was normalised when it was saved.
            return write_epub_copy(src, staged, meta, cover, cover_ready=True)

        try:
            sha = await asyncio.to_thread(work)
        except FormatError as exc:
            log.warning("could not embed metadata into %s: %s", file.filename, exc.message)
            result.notes.append(f"{file.filename}: metadata not embedded ({exc.message})")
            return _Rewritten(None, file.sha256, UNWRITABLE + (wanted or ""))
        result.rewritten += 1
        return _Rewritten(staged, sha, wanted)

    def _execute(self, src: Path, dst: Path, staged: Path | None, dst_sha: str, move_id: int) -> None:
        """The disk half of a move (worker thread). ``src`` is removed only once ``dst`` is durable."""
        if src == dst:
            assert staged is not None  # same place, new bytes: swap in the verified copy
            durable.place(staged, dst, dst_sha, move_id, replace=True)
            durable.remove(staged)
            return
        durable.make_dirs(dst.parent, self.library)
        durable.place(staged or src, dst, dst_sha, move_id)
        if staged is not None:
            durable.remove(staged)
        durable.remove(src)
