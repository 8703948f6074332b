"""The database side of an import: one book, its files and its source recorded in one transaction.

Shared by the calibre and folder importers. A book's rows and its
``import_sources`` row commit together, so a run killed at any point has
either recorded a book completely (and a rerun skips it) or not at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database, duplicates
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.db import imports as import_rows
from bookshelf.db import moves as move_rows
from bookshelf.db.connection import inline
from bookshelf.formats import file_hashes
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import file_path
from bookshelf.settings import Settings

SUPPORTED = {"epub": "epub", "pdf": "pdf", "mobi": "mobi", "azw3": "azw3", "azw": "azw3", "cbz": "cbz", "cbr": "cbr"}


@dataclass
class Identity:
    path: Path
    koreader: str
    sha256: str
    size: int


def identify(path: Path) -> Identity:
    """Hashes and size in one read of the (read-only) source. Blocking."""
    koreader, sha256 = file_hashes(path)
    return Identity(path, koreader, sha256, path.stat().st_size)


async def known_file(db: Database, sha256: str) -> BookFile | None:
    async with db.read() as conn:
        return await duplicates.file_with_sha256(conn, sha256)


async def done_sources(db: Database, sources: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    async with db.read() as conn:
        for start in range(0, len(sources), 500):
            found.update(await import_rows.done_sources(conn, sources[start : start + 500]))
    return found


async def record_duplicate(db: Database, source: str, book_id: str) -> None:
    """A source whose every file is already known maps to that book, so a rerun does not hash it again."""
    async with db.write() as conn:
        await import_rows.record_source(conn, source, book_id, clock.now_iso())


@dataclass
class Rewritten:
    """A file stored with changed bytes (metadata embedded): the source's identity, and the fingerprint."""

    original: Identity
    embedded: str


async def commit_book(db: Database, book: Book, files: list[BookFile], source: str, *,
                      candidate: Candidate | None = None, author_sorts: dict[str, str] | None = None,
                      rewritten: dict[str, Rewritten] | None = None,
                      ) -> tuple[list[BookFile], list[BookFile]]:  # fmt: skip
    """Insert ``book`` with ``files`` and its source. Files whose bytes became known meanwhile are left
    out; with none left nothing is written. Returns (committed, left out). A file in ``rewritten``
    (by id) is known by its source's bytes too: they decide duplicates and stay in its hash history."""
    changed = rewritten or {}

    async def work(conn: aiosqlite.Connection) -> tuple[list[BookFile], list[BookFile]]:
        kept: list[BookFile] = []
        dropped: list[BookFile] = []
        for file in files:
            sha256 = changed[file.id].original.sha256 if file.id in changed else file.sha256
            (dropped if await duplicates.file_with_sha256(conn, sha256) else kept).append(file)
        if not kept:
            return [], dropped
        await book_rows.insert(conn, book)
        for file in kept:
            await book_rows.insert_file(conn, file)
            await book_rows.record_hashes(conn, file.id, file.added_at, filenames=[file.filename])
            if file.id in changed:
                original = changed[file.id].original
                await book_rows.record_hashes(conn, file.id, file.added_at, koreader=original.koreader,
                                              sha256=original.sha256)  # fmt: skip
                await move_rows.set_embedded(conn, file.id, changed[file.id].embedded)
        if author_sorts:
            await book_rows.set_author_sort_names(conn, author_sorts)
        if candidate is not None:
            await candidate_rows.insert(conn, candidate)
        await import_rows.record_source(conn, source, book.id, kept[0].added_at)
        return kept, dropped

    # One trip to the writer's thread for the whole book: an import commits thousands of these.
    return await db.write(inline(work))


async def settle_leftovers(db: Database, settings: Settings) -> tuple[int, int]:
    """Put in place the copies whose rows committed before a crash; remove the rest."""
    parts = await asyncio.to_thread(lambda: sorted(settings.incoming_dir.glob(f"*/*{durable.IMPORT_PART_SUFFIX}")))
    if not parts:
        return 0, 0
    ids = [p.name[: -len(durable.IMPORT_PART_SUFFIX)] for p in parts]
    async with db.read() as conn:
        records = await book_rows.get_files(conn, ids)
    targets = {}
    for record in records:
        if record.root == "incoming":
            targets[record.id] = (file_path(settings, record), record.sha256)
    return await asyncio.to_thread(durable.settle_leftovers, settings.incoming_dir, targets.get)
