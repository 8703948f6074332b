"""SQL that finds books already holding a file's bytes, or looking like the same book."""

from __future__ import annotations

import aiosqlite

from bookshelf.db.books import row_to_file
from bookshelf.db.connection import fetchone
from bookshelf.models import BookFile


async def file_with_sha256(conn: aiosqlite.Connection, sha256: str) -> BookFile | None:
    """A file that has (or once had, before metadata was embedded) exactly these bytes."""
    row = await fetchone(
        conn,
        "SELECT f.* FROM file_hashes h JOIN files f ON f.id = h.file_id "
        "WHERE h.kind = 'sha256' AND h.value = ? LIMIT 1",
        (sha256,),
    )
    return row_to_file(row) if row else None


def _by_isbn(isbns: list[str]) -> tuple[str, list[object]]:
    """The WHERE fragment matching a book by one of these ISBNs ("" when there are none)."""
    if not isbns:
        return "", []
    marks = ",".join("?" * len(isbns))
    return f"isbn13 IN ({marks}) OR isbn10 IN ({marks})", [*isbns, *isbns]


def _by_title(sort_title: str, author_sort: str) -> tuple[str, list[object]]:
    """The WHERE fragment matching a book by folded title and first author ("" without both)."""
    if not (sort_title and author_sort):
        return "", []
    return "sort_title = ? AND author_sort = ?", [sort_title, author_sort]


async def similar_book(
    conn: aiosqlite.Connection, book_id: str, num: int, isbns: list[str], sort_title: str, author_sort: str
) -> str | None:
    """A library book, or one that arrived earlier, with one of these ISBNs, or else the same
    folded title and first author. Arrival, not parse order, decides which copy is the duplicate:
    parses run side by side, so the later arrival may be read first."""
    for match, params in (_by_isbn(isbns), _by_title(sort_title, author_sort)):
        if not match:
            continue
        row = await fetchone(
            conn,
            # The match drives the lookup; the database keeps no statistics, so unhinted the
            # planner may walk every library book through the status index instead.
            f"SELECT id FROM books WHERE id <> ? AND (+status = 'organized' OR +num < ?) AND ({match}) "
            "ORDER BY num LIMIT 1",
            (book_id, num, *params),
        )
        if row:
            return str(row[0])
    return None


async def flag_later_arrivals(
    conn: aiosqlite.Connection, book_id: str, num: int, isbns: list[str], sort_title: str, author_sort: str
) -> None:
    """Books in review that arrived after ``book_id``, look like it and were read before it was:
    they are its duplicates, not the other way round."""
    matches = [m for m in (_by_isbn(isbns), _by_title(sort_title, author_sort)) if m[0]]
    if not matches:
        return
    await conn.execute(
        "UPDATE books SET possible_duplicate_of = ? WHERE +num > ? AND +status = 'review' "
        f"AND possible_duplicate_of IS NULL AND ({' OR '.join(f'({match})' for match, _ in matches)})",
        (book_id, num, *(p for _, params in matches for p in params)),
    )
