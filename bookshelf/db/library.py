"""SQL for listing books: filters, sorts and pages over the books table and its link tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.folding import fold

SORTS = {
    "title_asc": "b.sort_title ASC, b.num ASC",
    "title_desc": "b.sort_title DESC, b.num DESC",
    "author_asc": "b.author_sort ASC, b.sort_title ASC, b.num ASC",
    "author_desc": "b.author_sort DESC, b.sort_title DESC, b.num DESC",
    "added_newest": "b.created_at DESC, b.num DESC",
    "added_oldest": "b.created_at ASC, b.num ASC",
    "organized_newest": "b.organized_at DESC, b.num DESC",
    "detected_newest": "b.created_at DESC, b.num DESC",
    "detected_oldest": "b.created_at ASC, b.num ASC",
    "status_asc": "b.status ASC, b.created_at DESC, b.num DESC",
    "status_desc": "b.status DESC, b.created_at DESC, b.num DESC",
    "series_index": "b.series_index ASC NULLS LAST, b.sort_title ASC, b.num ASC",
}


@dataclass
class BookFilter:
    """Which books a list shows. Names match /api/library's query parameters."""

    statuses: tuple[str, ...] = ("organized",)
    author: str | None = None  # partial, case-insensitive
    author_id: int | None = None
    genre: str | None = None  # exact, case-insensitive
    genre_id: int | None = None
    series: str | None = None
    series_id: int | None = None
    language: str | None = None
    format: str | None = None
    nums: list[int] | None = None  # restrict to these rows (search results)
    match: str | None = None  # an FTS5 expression from SearchService.filter_expression, never raw user text

    def where(self) -> tuple[str, list[Any]]:
        clauses = [f"b.status IN ({','.join('?' * len(self.statuses))})"]
        params: list[Any] = list(self.statuses)
        if self.author:
            clauses.append(
                "b.num IN (SELECT ba.book_num FROM book_authors ba JOIN authors a ON a.id = ba.author_id "
                "WHERE a.folded LIKE ? ESCAPE '\\')"
            )
            params.append("%" + _like(fold(self.author)) + "%")
        if self.author_id is not None:
            clauses.append("b.num IN (SELECT book_num FROM book_authors WHERE author_id = ?)")
            params.append(self.author_id)
        if self.genre:
            clauses.append(
                "b.num IN (SELECT bg.book_num FROM book_genres bg JOIN genres g ON g.id = bg.genre_id "
                "WHERE g.folded = ?)"
            )
            params.append(fold(self.genre))
        if self.genre_id is not None:
            clauses.append("b.num IN (SELECT book_num FROM book_genres WHERE genre_id = ?)")
            params.append(self.genre_id)
        if self.series:
            clauses.append(
                "b.num IN (SELECT bs.book_num FROM book_series bs JOIN series s ON s.id = bs.series_id "
                "WHERE s.folded = ?)"
            )
            params.append(fold(self.series))
        if self.series_id is not None:
            clauses.append("b.num IN (SELECT book_num FROM book_series WHERE series_id = ?)")
            params.append(self.series_id)
        if self.language:
            clauses.append("b.language = ? COLLATE NOCASE")
            params.append(self.language)
        if self.format:
            clauses.append("b.id IN (SELECT book_id FROM files WHERE format = ?)")
            params.append(self.format.lower())
        if self.nums is not None:
            clauses.append("b.num IN (SELECT value FROM json_each(?))")
            params.append("[" + ",".join(str(n) for n in self.nums) + "]")
        if self.match is not None:
            clauses.append("b.num IN (SELECT rowid FROM books_fts WHERE books_fts MATCH ?)")
            params.append(self.match)
        return " AND ".join(clauses), params


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_ids(
    conn: aiosqlite.Connection, flt: BookFilter, sort: str, limit: int, offset: int
) -> tuple[list[str], int]:
    """(book ids of one page, total matching)."""
    where, params = flt.where()
    order = SORTS[sort]
    rows = await fetchall(
        conn, f"SELECT b.id FROM books b WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", (*params, limit, offset)
    )
    total = await fetchone(conn, f"SELECT count(*) FROM books b WHERE {where}", tuple(params))
    return [row[0] for row in rows], int(total[0]) if total else 0


async def count(conn: aiosqlite.Connection, flt: BookFilter) -> int:
    where, params = flt.where()
    row = await fetchone(conn, f"SELECT count(*) FROM books b WHERE {where}", tuple(params))
    return int(row[0]) if row else 0


async def named(conn: aiosqlite.Connection, table: str, item_id: int) -> str | None:
    """The name of an author, genre or series by id."""
    assert table in ("authors", "genres", "series")
    row = await fetchone(conn, f"SELECT name FROM {table} WHERE id = ?", (item_id,))
    return row[0] if row else None
