"""SQL for the OPDS catalog: its change marker, navigation lists with counts, and per-book links."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.db.library import SORTS, filter_where
from bookshelf.folding import fold
from bookshelf.models import BookFilter, BookLinks, CatalogState, NavItem

NAV_TABLES = ("authors", "genres", "series")
_LINK_TABLES = {"authors": ("book_authors", "author_id"), "genres": ("book_genres", "genre_id"),
                "series": ("book_series", "series_id")}  # fmt: skip


async def state(conn: aiosqlite.Connection) -> CatalogState:
    row = await fetchone(conn, "SELECT generation, changed_at FROM catalog_state WHERE id = 1")
    if row is None:  # the migration inserts the row; a hand-made database might not have it
        return CatalogState(0, "1970-01-01T00:00:00Z")
    return CatalogState(int(row[0]), str(row[1]))


def generation_now(conn: sqlite3.Connection) -> int:
    """The change marker alone, on a plain connection (a point read for hot paths)."""
    row = conn.execute("SELECT generation FROM catalog_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


async def nav_items(conn: aiosqlite.Connection, table: str) -> list[NavItem]:
    """Every author, genre or series that has organized books, in display order."""
    assert table in NAV_TABLES
    link, column = _LINK_TABLES[table]
    sort_column = "t.sort_name" if table == "authors" else "t.name"
    rows = await fetchall(
        conn,
        f"SELECT t.id, t.name, {sort_column} AS sort_key, count(*) AS n FROM {link} l "
        f"JOIN books b ON b.num = l.book_num JOIN {table} t ON t.id = l.{column} "
        "WHERE b.status = 'organized' GROUP BY t.id",
    )
    rows.sort(key=lambda r: (fold(r["sort_key"]), r["id"]))
    return [NavItem(int(r["id"]), str(r["name"]), int(r["n"])) for r in rows]


async def nav_count(conn: aiosqlite.Connection, table: str) -> int:
    """How many authors, genres or series :func:`nav_items` lists, without building the list."""
    assert table in NAV_TABLES
    link, column = _LINK_TABLES[table]
    row = await fetchone(
        conn,
        f"SELECT count(DISTINCT t.id) FROM {link} l JOIN books b ON b.num = l.book_num "
        f"JOIN {table} t ON t.id = l.{column} WHERE b.status = 'organized'",
    )
    return int(row[0]) if row else 0


async def exists(conn: aiosqlite.Connection, table: str, item_id: int) -> str | None:
    """The name of author/genre/series ``item_id``, or None."""
    assert table in NAV_TABLES
    row = await fetchone(conn, f"SELECT name FROM {table} WHERE id = ?", (item_id,))
    return str(row[0]) if row else None


async def links_of(conn: aiosqlite.Connection, nums: Sequence[int]) -> dict[int, BookLinks]:
    """Author ids and series id for each book row in ``nums`` (two indexed queries)."""
    links = {num: BookLinks() for num in nums}
    if not nums:
        return links
    marks = ",".join("?" * len(nums))
    rows = await fetchall(
        conn,
        f"SELECT ba.book_num, a.id, a.name FROM book_authors ba JOIN authors a ON a.id = ba.author_id "
        f"WHERE ba.book_num IN ({marks}) ORDER BY ba.book_num, ba.position",
        tuple(nums),
    )
    for row in rows:
        links[row[0]].authors.append((int(row[1]), str(row[2])))
    rows = await fetchall(conn, f"SELECT book_num, series_id FROM book_series WHERE book_num IN ({marks})", tuple(nums))
    for row in rows:
        links[row[0]].series_id = int(row[1])
    return links


async def page_ids(conn: aiosqlite.Connection, flt: BookFilter, sort: str, limit: int, offset: int) -> list[str]:
    """One page of book ids with library.py's filters and sorts, without its count (counted once per change)."""
    where, params = filter_where(flt)
    rows = await fetchall(
        conn,
        f"SELECT b.id FROM books b WHERE {where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [row[0] for row in rows]


async def ordered_nums(conn: aiosqlite.Connection, flt: BookFilter, sort: str) -> list[int]:
    """Every matching row number in ``sort`` order (read from the sort's index, no table rows)."""
    where, params = filter_where(flt)
    cursor = await conn.execute(f"SELECT b.num FROM books b WHERE {where} ORDER BY {SORTS[sort]}", tuple(params))
    rows = await cursor.fetchall()
    await cursor.close()
    return [row[0] for row in rows]


async def ids_for_nums(conn: aiosqlite.Connection, nums: Sequence[int]) -> list[str]:
    """Book ids for rows ``nums``, keeping their order (search results arrive ranked)."""
    if not nums:
        return []
    marks = ",".join("?" * len(nums))
    rows = await fetchall(conn, f"SELECT num, id FROM books WHERE num IN ({marks})", tuple(nums))
    by_num = {row[0]: row[1] for row in rows}
    return [by_num[n] for n in nums if n in by_num]


async def organized_count(conn: aiosqlite.Connection) -> int:
    row = await fetchone(conn, "SELECT count(*) FROM books WHERE status = 'organized'")
    return int(row[0]) if row else 0
