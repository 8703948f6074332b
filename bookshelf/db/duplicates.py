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


async def similar_book(
    conn: aiosqlite.Connection, book_id: str, isbns: list[str], sort_title: str, author_sort: str
) -> str | None:
    """Another book with one of these ISBNs, or the same folded title and first author."""
    if isbns:
        marks = ",".join("?" * len(isbns))
        row = await fetchone(
            conn,
            f"SELECT id FROM books WHERE id <> ? AND (isbn13 IN ({marks}) OR isbn10 IN ({marks})) ORDER BY num LIMIT 1",
            (book_id, *isbns, *isbns),
        )
        if row:
            return str(row[0])
    if sort_title and author_sort:
        row = await fetchone(
            conn,
            "SELECT id FROM books WHERE sort_title = ? AND author_sort = ? AND id <> ? ORDER BY num LIMIT 1",
            (sort_title, author_sort, book_id),
        )
        if row:
            return str(row[0])
    return None
