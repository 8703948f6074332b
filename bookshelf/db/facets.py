"""SQL for library facets: the most common authors, genres, series, languages and formats of a filtered list."""

from __future__ import annotations

import sqlite3
from typing import Any

# Each facet: rows of (name, count) over the books that pass the filter ``b``.
_FACETS = {
    "authors": "SELECT a.name AS name, count(*) AS n, a.sort_name AS k FROM books b "
    "JOIN book_authors ba ON ba.book_num = b.num JOIN authors a ON a.id = ba.author_id WHERE {where} GROUP BY a.id",
    "genres": "SELECT g.name AS name, count(*) AS n, g.name AS k FROM books b "
    "JOIN book_genres bg ON bg.book_num = b.num JOIN genres g ON g.id = bg.genre_id WHERE {where} GROUP BY g.id",
    "series": "SELECT s.name AS name, count(*) AS n, s.name AS k FROM books b "
    "JOIN book_series bs ON bs.book_num = b.num JOIN series s ON s.id = bs.series_id WHERE {where} GROUP BY s.id",
    "languages": "SELECT lower(b.language) AS name, count(*) AS n, lower(b.language) AS k FROM books b "
    "WHERE {where} AND b.language IS NOT NULL AND b.language <> '' GROUP BY lower(b.language)",
    "formats": "SELECT f.format AS name, count(DISTINCT f.book_id) AS n, f.format AS k FROM books b "
    "JOIN files f ON f.book_id = b.id WHERE {where} GROUP BY f.format",
}
FACETS = tuple(_FACETS)


def facet(
    conn: sqlite3.Connection, name: str, where: str, params: list[Any], limit: int
) -> tuple[list[tuple[str, int]], int]:
    """(top ``limit`` values by count, then name; number of distinct values) of one facet."""
    grouped = _FACETS[name].format(where=where)
    rows = conn.execute(
        f"SELECT name, n, count(*) OVER () FROM ({grouped}) ORDER BY n DESC, k LIMIT ?",
        (*params, limit),
    ).fetchall()
    total = int(rows[0][2]) if rows else 0
    return [(r[0], int(r[1])) for r in rows], total


def count_books(conn: sqlite3.Connection, where: str, params: list[Any]) -> int:
    return int(conn.execute(f"SELECT count(*) FROM books b WHERE {where}", params).fetchone()[0])
