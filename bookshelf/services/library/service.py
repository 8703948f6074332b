"""The library as readers browse it: organized books listed, filtered, searched, counted; covers and files."""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import facets as facet_sql
from bookshelf.db import search as search_sql
from bookshelf.db.connection import inline
from bookshelf.db.library import SORTS, filter_where
from bookshelf.errors import NotFound
from bookshelf.models import Book, BookFile, BookFilter
from bookshelf.services.names.served import served_ascii_name
from bookshelf.services.search.plan import words_of
from bookshelf.services.search.results import KeptPages
from bookshelf.services.search.service import SearchService
from bookshelf.services.storage import files
from bookshelf.services.storage.generated_covers import GeneratedCovers
from bookshelf.settings import Settings

LIBRARY_SORTS = ("title_asc", "title_desc", "author_asc", "author_desc", "added_newest", "added_oldest")
RELEVANCE = "relevance"
_FACET_CACHE_SIZE = 64
_COUNT_CACHE_SIZE = 256
_PAGE_CACHE_SIZE = 32
# The deepest offset a page is read at on the event loop (an OFFSET walks its index entries).
_ON_LOOP_MAX_OFFSET = 1000
# Facets walk every book of the list once (about 0.8 s at 100,000 books, over 3 s with the database
# cold on disk) and are then kept until the library changes: a longer box than a search's, so the
# first facets after a change are slow rather than refused.
FACETS_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Cover:
    path: Path
    sha256: str
    thumb: bool


class LibraryService:
    def __init__(self, db: Database, settings: Settings, search: SearchService,
                 generated: GeneratedCovers | None = None) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.search = search
        self.generated = generated or GeneratedCovers(settings)
        # Facet answers keyed by the change counters they were computed under; a
        # write bumps a counter in the same transaction, so a stale hit is impossible.
        self._facets: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._counts: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        # Plain pages by count key, order and window; filled on the loop only.
        self._pages: KeptPages[Book] = KeptPages(_PAGE_CACHE_SIZE)

    async def list_books(
        self, flt: BookFilter, query: str | None, sort: str | None, limit: int, offset: int
    ) -> tuple[list[Book], int]:
        """One page of organized books; with ``query`` and no sort, by relevance.

        A query without a single word (blank, or only punctuation) filters nothing.
        """
        query = query if query and words_of(query) else None
        if query and (sort is None or sort == RELEVANCE):
            return await self.search.page(query, flt, limit, offset)
        expression = await self.search.filter_expression(query) if query else None
        where, params = filter_where(_with_match(flt, expression))
        order = SORTS[sort if sort in SORTS else "title_asc"]

        def run(conn: sqlite3.Connection) -> tuple[list[Book], int]:
            ids = search_sql.sorted_page(conn, where, params, order, limit, offset)
            return book_rows.get_many_now(conn, ids), self._count(conn, flt.statuses, where, params)

        def counted(conn: sqlite3.Connection) -> tuple[list[Book], int] | None:
            """The page, when its count is already known (None: it is not); remembered until the
            library changes, since every browser opens the same first pages."""
            count_key = _count_key(conn, flt.statuses, where, params)
            total = self._counts.get(count_key)
            if total is None:
                return None
            window = (order, limit, offset)
            kept = self._pages.get(count_key, window)
            if kept is not None:
                return kept
            books = book_rows.get_many_now(conn, search_sql.sorted_page(conn, where, params, order, limit, offset))
            self._pages.put(count_key, window, books, total)
            return books, total

        if _bounded(flt, expression, offset):
            # A plain page near the top is a few index steps and 20 rows: on the loop's own
            # connection it costs half what the hop to a reader thread and back does, which
            # is what several browsers at once queue behind (4 at once: 6.9 -> 3.5 ms of CPU a
            # page at 100,000 books). Its count may walk every book, so only a known one is used.
            page = await self.db.read(counted, on_loop=True)
            if page is not None:
                return page
        # One trip to the database thread for the page, its books and their files.
        return await self.search.read(run)

    def _count(self, conn: sqlite3.Connection, statuses: tuple[str, ...], where: str, params: list[Any]) -> int:
        """Books passing a filter, remembered until the library changes (a count walks every row)."""
        key = _count_key(conn, statuses, where, params)
        total = self._counts.get(key)
        if total is None:
            total = facet_sql.count_books(conn, where, params)
            self._counts[key] = total
            while len(self._counts) > _COUNT_CACHE_SIZE:
                self._counts.popitem(last=False)
        return total

    async def facets(self, flt: BookFilter, query: str | None, limit: int) -> dict[str, Any]:
        """Top ``limit`` values of each facet among the books ``flt`` (and ``query``) select, with totals."""
        query = query if query and words_of(query) else None
        marker = await self.db.read(partial(search_sql.change_marker, statuses=flt.statuses), on_loop=True)
        expression = await self.search.filter_expression(query) if query else None
        if query and expression is None:
            return _empty_facets()
        key = (marker, repr(flt), expression, limit)
        cached = self._facets.get(key)
        if cached is not None:
            self._facets.move_to_end(key)
            return cached
        where, params = filter_where(_with_match(flt, expression))

        def compute(conn: sqlite3.Connection) -> dict[str, Any]:
            body: dict[str, Any] = {}
            totals: dict[str, int] = {"books": facet_sql.count_books(conn, where, params)}
            for name in facet_sql.FACETS:
                values, totals[name] = facet_sql.facet(conn, name, where, params, limit)
                body[name] = [{"name": value, "count": count} for value, count in values]
            body["totals"] = totals
            return body

        body = await self.search.read(compute, FACETS_TIMEOUT_SECONDS)
        self._facets[key] = body
        while len(self._facets) > _FACET_CACHE_SIZE:
            self._facets.popitem(last=False)
        return body

    async def get(self, book_id: str, with_files: bool = True) -> Book:
        """An organized book (with its files unless told); NotFound for unknown ids and inbox books.

        Two primary-key lookups, read on the loop's own connection: through a pooled reader each
        statement was a round trip, and under a crowd every round trip waits a turn of the loop."""
        book = await self.db.read(inline(partial(book_rows.get, book_id=book_id, with_files=with_files)), on_loop=True)
        if book is None or book.status != "organized":
            raise NotFound("Book not found")
        return book

    async def cover(self, book_id: str, thumb: bool) -> Cover:
        book = await self.get(book_id)
        if not book.cover_sha256:
            path, token = await self.generated.path(book, thumb)
            return Cover(path, token, thumb)
        if thumb:
            small = files.cover_path(self.settings, book.cover_sha256, thumb=True)
            if small.is_file():
                return Cover(small, book.cover_sha256, True)
        path = files.cover_path(self.settings, book.cover_sha256)
        if not path.is_file():
            raise NotFound("Cover file is missing")
        return Cover(path, book.cover_sha256, False)

    async def download(self, book_id: str, file_id: str) -> tuple[BookFile, Path, str]:
        """A file of an organized book, its path, and the unique ASCII name it is sent under."""
        match, path = await self.file(book_id, file_id)
        return match, path, await served_ascii_name(self.db, match)

    async def file(self, book_id: str, file_id: str) -> tuple[BookFile, Path]:
        """A file of an organized book and its path, resolved so it cannot leave its folder."""
        book = await self.get(book_id)
        match = next((f for f in book.files if f.id == file_id), None)
        if match is None:
            raise NotFound("File not found for this book")
        path = files.file_path(self.settings, match)
        if not path.is_file():
            raise NotFound("File is missing")
        return match, path


def _count_key(conn: sqlite3.Connection, statuses: tuple[str, ...], where: str, params: list[Any]) -> tuple[Any, ...]:
    return (search_sql.change_marker(conn, statuses), where, repr(params))


def _bounded(flt: BookFilter, expression: str | None, offset: int) -> bool:
    """A page whose rows an index hands over in order, within a few hundred steps: no filter
    beyond one status (a language or format filter may walk the whole library to fill a page,
    and two statuses sort their books rather than walk an index in order)."""
    plain = len(flt.statuses) == 1 and flt == BookFilter(statuses=flt.statuses)
    return plain and expression is None and offset <= _ON_LOOP_MAX_OFFSET


def _with_match(flt: BookFilter, expression: str | None) -> BookFilter:
    if expression is None:
        return flt
    return BookFilter(**{**flt.__dict__, "match": expression})


def _empty_facets() -> dict[str, Any]:
    body: dict[str, Any] = {name: [] for name in facet_sql.FACETS}
    body["totals"] = {"books": 0, **{name: 0 for name in facet_sql.FACETS}}
    return body
