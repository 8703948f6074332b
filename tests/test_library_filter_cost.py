"""A filter that names a few books (an author's, a series', a genre's, a search's) costs what those
books cost, however large the rest of the library is.

The database holds no statistics, so SQLite took ``status = ?`` for a narrow index: it walked
every organized book and checked each against the list (an author's 8 books cost 24 ms to count
and 40 ms to page at 100,000 books). Cost is counted in SQLite virtual-machine steps, which do not
depend on the machine's speed or load.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from bookshelf.db import books as book_rows
from bookshelf.db import facets as facet_sql
from bookshelf.db import reading as reading_rows
from bookshelf.db import search as search_sql
from bookshelf.db.connection import connect_sync
from bookshelf.db.library import SORTS, filter_where
from bookshelf.models import Book, BookFilter
from bookshelf.runtime import Runtime
from tests.vm_steps import vm_steps

FEW = 12
MORE = 900


async def _add(rt: Runtime, count: int, few: bool) -> None:
    async with rt.db.write() as conn:
        for n in range(count):
            book = Book(
                id=str(uuid.uuid4()), status="organized", title=f"{'Quill' if few else 'Common'} Title {n}",
                authors=["Ada Few"] if few else [f"Author {n % 50}"], series="Few Saga" if few else f"Saga {n % 40}",
                series_index=float(n), genres=["Rare Genre"] if few else ["Common Genre"],
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
            )  # fmt: skip
            await book_rows.insert(conn, book)


def _filters(conn: sqlite3.Connection) -> dict[str, BookFilter]:
    author = conn.execute("SELECT id FROM authors WHERE name = 'Ada Few'").fetchone()[0]
    series = conn.execute("SELECT id FROM series WHERE name = 'Few Saga'").fetchone()[0]
    genre = conn.execute("SELECT id FROM genres WHERE name = 'Rare Genre'").fetchone()[0]
    few = [r[0] for r in conn.execute("SELECT num FROM books WHERE title LIKE 'Quill %'")]
    return {
        "author": BookFilter(author_id=author),
        "series": BookFilter(series_id=series),
        "series name": BookFilter(series="few saga"),
        "genre": BookFilter(genre_id=genre),
        "genre name": BookFilter(genre="rare genre"),
        "rows": BookFilter(nums=few),
        "search": BookFilter(match='"quill"'),
    }


def _cost(rt: Runtime, name: str) -> tuple[int, int]:
    """(steps, books) to count the filter's books and read its first page."""
    conn = connect_sync(rt.settings.db_path)
    try:
        where, params = filter_where(_filters(conn)[name])

        def work(c: sqlite3.Connection) -> int:
            ids = search_sql.sorted_page(c, where, params, SORTS["title_asc"], 20, 0)
            assert len(ids) == min(20, FEW)
            return facet_sql.count_books(c, where, params)

        return vm_steps(conn, work), work(conn)
    finally:
        conn.close()


@pytest.mark.parametrize("name", ["author", "series", "series name", "genre", "genre name", "rows", "search"])
async def test_a_narrow_filter_does_not_pay_for_the_rest_of_the_library(runtime: Runtime, name: str) -> None:
    await _add(runtime, FEW, few=True)
    await _add(runtime, 30, few=False)
    small, found = _cost(runtime, name)
    await _add(runtime, MORE, few=False)
    large, found_later = _cost(runtime, name)
    assert found == found_later == FEW
    # Walking the other books through the status index costs ~10 steps each (9,000 here).
    assert large < small + MORE, (name, small, large)


async def test_rows_with_a_status_are_looked_up_not_searched_for(runtime: Runtime) -> None:
    """The ranked page of a search keeps the rows of the wanted status: a lookup per row."""
    await _add(runtime, FEW, few=True)
    conn = connect_sync(runtime.settings.db_path)
    try:
        nums = [r[0] for r in conn.execute("SELECT num FROM books")]
        small = vm_steps(conn, lambda c: search_sql.ids_with_status(c, nums, ("organized",)))
    finally:
        conn.close()
    await _add(runtime, MORE, few=False)
    conn = connect_sync(runtime.settings.db_path)
    try:
        large = vm_steps(conn, lambda c: search_sql.ids_with_status(c, nums, ("organized",)))
    finally:
        conn.close()
    assert large < small + 100, (small, large)


async def test_a_reading_list_search_does_not_pay_for_the_rest_of_the_library(runtime: Runtime) -> None:
    """GET /api/reading/unread?q=: the search's rows drive the list, not every organized book."""

    async def cost() -> tuple[int, int]:
        steps = 0

        def tick() -> int:
            nonlocal steps
            steps += 1
            return 0

        async with runtime.db.read() as conn:
            nums = [r[0] for r in await conn.execute_fetchall("SELECT num FROM books WHERE title LIKE 'Quill %'")]
            await conn.set_progress_handler(tick, 1)
            try:
                _, total = await reading_rows.list_by_status(conn, "nobody", "unread", 0, "title", False, 20, 0, nums)
            finally:
                await conn.set_progress_handler(None, 1)
        return steps, total

    await _add(runtime, FEW, few=True)
    small, found = await cost()
    await _add(runtime, MORE, few=False)
    large, found_later = await cost()
    assert found == found_later == FEW
    assert large < small + MORE, (small, large)
