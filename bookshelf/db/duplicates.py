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


# A book in review is the duplicate of one that arrived before it (or of a library book), whatever
# order the parses finish in: parses run side by side, so the later arrival may be read first.
def _same_book(isbns: list[str], sort_title: str, author_sort: str) -> tuple[str, list[object]]:
    """The WHERE fragment matching another book by ISBN or by folded title and first author."""
    parts: list[str] = []
    params: list[object] = []
    if isbns:
        marks = ",".join("?" * len(isbns))
        parts.append(f"isbn13 IN ({marks}) OR isbn10 IN ({marks})")
        params += [*isbns, *isbns]
    if sort_title and author_sort:
        parts.append("(sort_title = ? AND author_sort = ?)")
        params += [sort_title, author_sort]
    return " OR ".join(parts), params


async def similar_book(
    conn: aiosqlite.Connection, book_id: str, num: int | None, isbns: list[str], sort_title: str, author_sort: str
) -> str | None:
    """A library book, or one that arrived earlier, with one of these ISBNs, or else the same
    folded title and first author."""
    earlier = "(status = 'organized' OR num < ?)"
    if isbns:
        marks = ",".join("?" * len(isbns))
        row = await fetchone(
            conn,
            f"SELECT id FROM books WHERE id <> ? AND {earlier} AND (isbn13 IN ({marks}) OR isbn10 IN ({marks})) "
            "ORDER BY num LIMIT 1",
            (book_id, num if num is not None else -1, *isbns, *isbns),
        )
        if row:
            return str(row[0])
    if sort_title and author_sort:
        row = await fetchone(
            conn,
            f"SELECT id FROM books WHERE sort_title = ? AND author_sort = ? AND id <> ? AND {earlier} "
            "ORDER BY num LIMIT 1",
            (sort_title, author_sort, book_id, num if num is not None else -1),
        )
        if row:
            return str(row[0])
    return None


async def flag_later_arrivals(
    conn: aiosqlite.Connection, book_id: str, num: int, isbns: list[str], sort_title: str, author_sort: str
) -> None:
    """Books in review that arrived after ``book_id``, look like it and were read before it was:
    they are its duplicates, not the other way round."""
    same, params = _same_book(isbns, sort_title, author_sort)
    if not same:
        return
    await conn.execute(
        f"UPDATE books SET possible_duplicate_of = ? WHERE num > ? AND status = 'review' "
        f"AND possible_duplicate_of IS NULL AND ({same})",
        (book_id, num, *params),
    )
