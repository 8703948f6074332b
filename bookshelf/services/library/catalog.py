"""What the OPDS catalog shows: pages of organized books, navigation lists, entries, files and covers."""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Generic, TypeVar

import aiosqlite

from bookshelf.db import Database, library
from bookshelf.db import books as book_rows
from bookshelf.db import catalog as rows
from bookshelf.db import progress as progress_rows
from bookshelf.db.connection import inline
from bookshelf.errors import NotFound
from bookshelf.models import MEDIA_TYPES, Book, BookFile, BookFilter, BookLinks, CatalogState, NavItem
from bookshelf.services.library.feed_cache import FeedCache
from bookshelf.services.names.served import served_ascii_name
from bookshelf.services.search.service import SearchService
from bookshelf.services.storage.files import cover_path, file_path
from bookshelf.services.storage.generated_covers import MEDIA_TYPE as GENERATED_TYPE
from bookshelf.services.storage.generated_covers import GeneratedCovers
from bookshelf.settings import Settings

PAGE_SIZE = 50
SEARCH_LIMIT = 1000
DEEP_OFFSET = 2500  # rows; beyond this whole-library pages come from a cached ordering
# OPDS.md's table: the bare type KOReader maps to a download button. Never octet-stream.
ACQUISITION_TYPES = MEDIA_TYPES
STREAMABLE = ("cbz", "cbr", "pdf")  # formats with fixed pages (Page Streaming Extension)
T = TypeVar("T")
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


@dataclass
class Entry:
    """One book as a catalog entry: the book, its links, its artwork and its streamable file."""

    book: Book
    links: BookLinks
    cover_type: str | None  # media type of the cover bytes, None when there is no cover on disk
    thumb_type: str | None
    stream: BookFile | None  # the file whose pages are streamed, with a page count
    last_read: LastRead | None = None  # the reader's page in ``stream`` (OPDS-PSE lastRead), per account


@dataclass(frozen=True)
class LastRead:
    page: int  # from 1, as KOReader and OPDS-PSE count
    timestamp: int  # Unix seconds of the write


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Artwork:
    path: Path
    media_type: str
    etag: str


def acquisition_type(fmt: str) -> str | None:
    return ACQUISITION_TYPES.get(fmt.lower())


def sniff_image(path: Path) -> str | None:
    """The media type of an image file by its first bytes; None if absent or not jpeg/png/gif."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    return next((kind for magic, kind in _IMAGE_MAGIC if head.startswith(magic)), None)


def download_name(book: Book, file: BookFile) -> str:
    """The stored file name, with the format's extension guaranteed (KOReader trusts the name)."""
    ext = "." + file.format.lower()
    name = file.filename.strip()
    if name.lower().endswith(ext):
        return name
    stem = " - ".join(part for part in (", ".join(book.authors[:2]), book.title) if part) or "book"
    return stem + ext


class CatalogService:
    def __init__(self, db: Database, settings: Settings, search: SearchService, deep_offset: int = DEEP_OFFSET,
                 generated: GeneratedCovers | None = None) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.generated = generated or GeneratedCovers(settings)
        self.search_service = search
        self.deep_offset = deep_offset
        # Navigation lists with counts cost a GROUP BY over the library; they are kept until
        # the catalog's generation (bumped by triggers on every change) moves on.
        self._nav: dict[str, tuple[int, list[NavItem]]] = {}
        self._totals: dict[str, tuple[int, dict[str, int]]] = {}
        self._nav_lock = asyncio.Lock()
        # Covers are content-addressed, so a type once sniffed never changes.
        self._image_types: dict[Path, str] = {}
        self.rendered = FeedCache()
        self._counts: dict[tuple[int, str], int] = {}
        self._orders: dict[str, tuple[int, array[int]]] = {}
        self._order_lock = asyncio.Lock()
        self._searches: dict[tuple[int, str, int], tuple[list[int], int]] = {}

    async def state(self) -> CatalogState:
        """The change marker: a point read on the loop's own connection (every feed asks first)."""
        return await self.db.read(inline(rows.state), on_loop=True)

    # -- navigation ---------------------------------------------------------------
    async def nav(self, table: str, page: int) -> Page[NavItem]:
        items = await self._nav_items(table)
        start = (page - 1) * PAGE_SIZE
        return Page(items[start : start + PAGE_SIZE], page, len(items))

    async def totals(self) -> dict[str, int]:
        """Books, authors, genres and series in the catalog (the root's counts), once per change.

        Counted in SQL rather than as the length of each navigation list, so the root (and the
        warm-up at start) does not hold every author's name in memory for a reader who never
        opens the author list (about 9 MB at 100,000 books)."""

        async def count(conn: aiosqlite.Connection) -> dict[str, int]:
            counts = {"books": await rows.organized_count(conn)}
            for table in rows.NAV_TABLES:
                counts[table] = await rows.nav_count(conn, table)
            return counts

        return await self._per_generation(self._totals, "root", self._nav_lock, count)

    async def _nav_items(self, table: str) -> list[NavItem]:
        return await self._per_generation(self._nav, table, self._nav_lock, lambda conn: rows.nav_items(conn, table))

    async def _per_generation(self, store: dict[str, tuple[int, T]], key: str, lock: asyncio.Lock,
                              compute: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:  # fmt: skip
        """``compute``'s answer for ``key``, kept in ``store`` until the catalog's generation moves on
        (one computation at a time under ``lock``; waiters take its answer)."""
        generation = (await self.state()).generation
        cached = store.get(key)
        if cached and cached[0] == generation:
            return cached[1]
        async with lock:
            cached = store.get(key)
            if cached and cached[0] == generation:
                return cached[1]
            async with self.db.read() as conn:
                generation = (await rows.state(conn)).generation
                value = await compute(conn)
            store[key] = (generation, value)
            return value

    async def name_of(self, table: str, item_id: int) -> str:
        async with self.db.read() as conn:
            name = await rows.exists(conn, table, item_id)
        if name is None:
            raise NotFound(f"No such {table.rstrip('s') if table != 'series' else 'series'}")
        return name

    # -- book lists ----------------------------------------------------------------
    async def books(self, page: int, sort: str, flt: BookFilter | None = None) -> Page[Entry]:
        flt = flt or BookFilter()
        start = (page - 1) * PAGE_SIZE
        if start >= self.deep_offset and flt == BookFilter():
            # Deep into the whole library: rows ordered once per catalog change, so page 2,000 costs
            # what page 1 does (OFFSET would walk 100,000 index entries). Shallow pages, the ones
            # browsed most, use OFFSET and never wait for that ordering after a change.
            order = await self._ordering(sort)
            nums = order[start : start + PAGE_SIZE]

            async def deep(conn: aiosqlite.Connection) -> list[Entry]:
                return await self._entries(conn, await rows.ids_for_nums(conn, nums))

            return Page(await self.db.read(inline(deep)), page, len(order))
        generation = (await self.state()).generation
        count_key = (generation, repr(flt))
        known = self._counts.get(count_key)

        async def shallow(conn: aiosqlite.Connection) -> tuple[int, list[Entry]]:
            total = known if known is not None else await library.count(conn, flt)
            ids = await rows.page_ids(conn, flt, sort, PAGE_SIZE, start) if total else []
            return total, await self._entries(conn, ids)

        # The count, the page and its entries in one trip to a reader: each of their half a dozen
        # statements through the pool was a hand-off to the reader thread and back.
        total, entries = await self.db.read(inline(shallow))
        if known is None:
            self._counts = {k: v for k, v in self._counts.items() if k[0] == generation}
            self._counts[count_key] = total
        return Page(entries, page, total)

    async def _ordering(self, sort: str) -> array[int]:
        async def order(conn: aiosqlite.Connection) -> array[int]:
            return array("q", await rows.ordered_nums(conn, BookFilter(), sort))

        return await self._per_generation(self._orders, sort, self._order_lock, order)

    async def search(self, query: str, page: int) -> Page[Entry]:
        """One page of the best ``SEARCH_LIMIT`` matches. Only that page is ranked and read: ranking
        the first thousand at once cost 3-18 ms a word at 100,000 books, for a reader who mostly
        looks at the first page (and every rendered page is kept until the catalog changes)."""
        start = (page - 1) * PAGE_SIZE
        nums, total = await self._search_page(query.strip(), start)
        total = min(total, SEARCH_LIMIT)

        async def found(conn: aiosqlite.Connection) -> list[Entry]:
            return await self._entries(conn, await rows.ids_for_nums(conn, nums))

        return Page(await self.db.read(inline(found)), page, total)

    async def _search_page(self, query: str, start: int) -> tuple[list[int], int]:
        """Ranked rows of one page for ``query`` and the match count, remembered per catalog generation."""
        if not query or start >= SEARCH_LIMIT:
            return [], 0
        generation = (await self.state()).generation
        key = (generation, query, start)
        kept = self._searches.get(key)
        if kept is None:
            limit = min(PAGE_SIZE, SEARCH_LIMIT - start)
            kept = await self.search_service.match_page(query, ("organized",), limit, start)
            if len(self._searches) >= 64 or any(k[0] != generation for k in self._searches):
                self._searches.clear()
            self._searches[key] = kept
        return kept

    # -- the reader's place -------------------------------------------------------------
    async def reading_mark(self, user_id: str) -> tuple[int, int]:
        """Changes with every position the account writes: rendered feeds are kept per mark."""
        async with self.db.read() as conn:
            return await progress_rows.reading_mark(conn, user_id)

    async def with_last_read(self, user_id: str, entries: list[Entry]) -> list[Entry]:
        """The entries with the account's page in each streamed file: the book's latest position
        (any device, the web reader too) when it is a page number within the file."""
        streamed = [e for e in entries if e.stream is not None]
        async with self.db.read() as conn:
            latest = await progress_rows.latest_of_books(conn, user_id, [e.book.id for e in streamed])
        out = []
        for entry in entries:
            position = latest.get(entry.book.id)
            page = _page_number(position.progress) if position else None
            if entry.stream is not None and position is not None and page and page <= (entry.stream.page_count or 0):
                entry = replace(entry, last_read=LastRead(page, position.timestamp or 0))
            out.append(entry)
        return out

    async def entry(self, book_id: str) -> Entry:
        # A few primary-key lookups: on the loop's connection, as a KOReader pull is.
        entries = await self.db.read(inline(partial(self._entries, ids=[book_id])), on_loop=True)
        if not entries:
            raise NotFound("Book not found")
        return entries[0]

    async def _entries(self, conn: aiosqlite.Connection, ids: list[str]) -> list[Entry]:
        books = [b for b in await book_rows.get_many(conn, ids) if b.status == "organized"]
        links = await rows.links_of(conn, [b.num for b in books if b.num is not None])
        out = []
        for book in books:
            cover, thumb = self.artwork_types(book)
            out.append(Entry(book, links.get(book.num or 0, BookLinks()), cover, thumb, _streamable(book.files)))
        return out

    # -- files and artwork ---------------------------------------------------------------
    def artwork_types(self, book: Book) -> tuple[str | None, str | None]:
        """(cover type, thumbnail type); both None when the cover is not on disk.

        A book without a cover of its own has a generated one (drawn when first asked for)."""
        if not book.cover_sha256:
            return GENERATED_TYPE, GENERATED_TYPE
        try:
            full = cover_path(self.settings, book.cover_sha256)
        except NotFound:
            return None, None
        cover = self._image_type(full)
        if cover is None:
            return None, None
        thumb = self._image_type(cover_path(self.settings, book.cover_sha256, thumb=True))
        return cover, thumb or cover  # without a thumbnail file the full cover is served

    def _image_type(self, path: Path) -> str | None:
        known = self._image_types.get(path)
        if known is None:
            known = sniff_image(path)
            if known is not None:  # absent files are looked at again: the cover may arrive later
                if len(self._image_types) > 50_000:
                    self._image_types.clear()
                self._image_types[path] = known
        return known

    async def artwork(self, book_id: str, thumb: bool) -> Artwork:
        entry = await self.entry(book_id)
        sha = entry.book.cover_sha256
        if not sha:
            drawn, token = await self.generated.path(entry.book, thumb)
            return Artwork(drawn, GENERATED_TYPE, f'"{token[:33]}{"-t" if thumb else ""}"')
        if entry.cover_type is None:
            raise NotFound("This book has no cover")
        path = cover_path(self.settings, sha, thumb=True) if thumb else None
        if path is not None and self._image_type(path):
            return Artwork(path, self._image_types[path], f'"{sha[:32]}-t"')
        return Artwork(cover_path(self.settings, sha), entry.cover_type, f'"{sha[:32]}"')

    async def download(self, book_id: str, file_id: str) -> tuple[Path, str, str, str]:
        """(path, file name, its unique ASCII name, media type) of one of an organized book's files."""
        entry = await self.entry(book_id)
        file = next((f for f in entry.book.files if f.id == file_id), None)
        if file is None:
            raise NotFound("File not found")
        media_type = acquisition_type(file.format)
        if media_type is None:
            raise NotFound("File not found")
        ascii_name = await served_ascii_name(self.db, file)
        return file_path(self.settings, file), download_name(entry.book, file), ascii_name, media_type

    async def remember_served_names(self, file_id: str, names: list[str], now: str) -> None:
        """KOReader's filename-mode document id is md5 of the name it saved; keep it for sync.

        A file downloaded before has its names already: one point read on the loop's connection
        says so, and the write lock (which KOReader syncs wait on) is not taken at all."""
        missing = await self.db.read(inline(partial(book_rows.unrecorded_filenames, file_id=file_id, names=names)),
                                     on_loop=True)  # fmt: skip
        if missing:
            record = partial(book_rows.record_hashes, file_id=file_id, now=now, filenames=missing)
            await self.db.write(inline(record), on_loop=True)

    async def stream_file(self, book_id: str) -> tuple[Path, BookFile]:
        entry = await self.entry(book_id)
        if entry.stream is None:
            raise NotFound("This book has no pages to stream")
        return file_path(self.settings, entry.stream), entry.stream


def _page_number(progress: str) -> int | None:
    return int(progress) if progress.isascii() and progress.isdigit() and len(progress) <= 9 else None


def _streamable(files: list[BookFile]) -> BookFile | None:
    for fmt in STREAMABLE:
        for file in files:
            if file.format.lower() == fmt and file.page_count:
                return file
    return None
