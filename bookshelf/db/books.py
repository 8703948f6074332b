"""SQL for books, their files and hash history, and the author/genre/series link tables."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone, in_thread
from bookshelf.folding import fold, name_key, sort_key
from bookshelf.models import Book, BookFile, Credit

_JSON_LIST = ("authors", "genres", "tags")
BOOK_COLUMNS = (
    "id", "status", "stage", "title", "sort_title", "subtitle", "authors", "author_sort", "series",
    "series_index", "isbn10", "isbn13", "identifiers", "publisher", "published_year", "language",
    "description", "page_count", "genres", "tags", "contributors", "rating", "cover_sha256", "possible_duplicate_of",
    "error", "created_at", "updated_at", "organized_at",
)  # fmt: skip


def sort_title(title: str) -> str:
    """Sort key for titles (see bookshelf.folding.sort_key)."""
    return sort_key(title)


def author_sort_name(name: str) -> str:
    """'Ursula K. Le Guin' -> 'Le Guin, Ursula K.' (particles stay with the surname)."""
    name = " ".join(name.split())
    if not name or "," in name:
        return name
    parts = name.split(" ")
    if len(parts) == 1:
        return name
    cut = len(parts) - 1
    while cut > 1 and parts[cut - 1].lower() in {"le", "la", "de", "van", "von", "der", "du", "di", "da", "del"}:
        cut -= 1
    return " ".join(parts[cut:]) + ", " + " ".join(parts[:cut])


_BOOK_FIELDS = frozenset(BOOK_COLUMNS) - {"sort_title"}


def row_to_book(row: sqlite3.Row) -> Book:
    return _book_from(tuple(row.keys()), row)


@functools.lru_cache(maxsize=32)
def _columns_plan(keys: tuple[str, ...]) -> tuple[tuple[tuple[int, str], ...], int]:
    """(position, name) of each Book field among a query's columns, and where ``num`` is: worked
    out once per column list, not once per row (a page builds its books from 20 rows)."""
    return tuple((i, k) for i, k in enumerate(keys) if k in _BOOK_FIELDS), keys.index("num")


def _list(text: str | None) -> list[Any]:
    return json.loads(text) if text and text != "[]" else []


def _book_from(keys: tuple[str, ...], row: Sequence[Any]) -> Book:
    fields, num_at = _columns_plan(keys)
    values: dict[str, Any] = {name: row[i] for i, name in fields}
    for key in _JSON_LIST:
        values[key] = _list(values.get(key))
    identifiers = values.get("identifiers")
    values["identifiers"] = json.loads(identifiers) if identifiers and identifiers != "{}" else {}
    if "contributors" in values:
        values["contributors"] = [Credit(c["name"], c["role"]) for c in _list(values["contributors"])]
    book = Book(**values)
    book.num = row[num_at]
    return book


def row_to_file(row: sqlite3.Row) -> BookFile:
    return BookFile(
        id=row["id"], book_id=row["book_id"], format=row["format"], root=row["root"], path=row["path"],
        filename=row["filename"], size=row["size"], sha256=row["sha256"], koreader_hash=row["koreader_hash"],
        page_count=row["page_count"], added_at=row["added_at"],
    )  # fmt: skip


def _columns(book: Book) -> dict[str, Any]:
    values = {
        "id": book.id, "status": book.status, "stage": book.stage, "title": book.title,
        "sort_title": sort_title(book.title), "subtitle": book.subtitle, "authors": json.dumps(book.authors,
        ensure_ascii=False), "author_sort": book.author_sort or (fold(author_sort_name(book.authors[0]))
        if book.authors else ""), "series": book.series, "series_index": book.series_index,
        "isbn10": book.isbn10, "isbn13": book.isbn13, "identifiers": json.dumps(book.identifiers),
        "publisher": book.publisher, "published_year": book.published_year, "language": book.language,
        "description": book.description, "page_count": book.page_count,
        "genres": json.dumps(book.genres, ensure_ascii=False), "tags": json.dumps(book.tags, ensure_ascii=False),
        "contributors": json.dumps([c.to_json() for c in book.contributors], ensure_ascii=False),
        "rating": book.rating, "cover_sha256": book.cover_sha256, "possible_duplicate_of": book.possible_duplicate_of,
        "error": book.error, "created_at": book.created_at, "updated_at": book.updated_at,
        "organized_at": book.organized_at,
    }  # fmt: skip
    return values


async def insert(conn: aiosqlite.Connection, book: Book) -> int:
    values = _columns(book)
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    cursor = await conn.execute(f"INSERT INTO books ({names}) VALUES ({marks})", values)
    book.num = cursor.lastrowid
    await set_links(conn, book)
    return int(cursor.lastrowid or 0)


async def save(conn: aiosqlite.Connection, book: Book) -> None:
    """Write every column of ``book`` (and its link tables) back."""
    values = _columns(book)
    assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
    await conn.execute(f"UPDATE books SET {assignments} WHERE id = :id", values)
    if book.num is None:
        row = await fetchone(conn, "SELECT num FROM books WHERE id = ?", (book.id,))
        book.num = row["num"] if row else None
    await set_links(conn, book)


async def set_status(conn: aiosqlite.Connection, book_id: str, status: str, stage: str | None, now: str,
                     error: str | None = None) -> None:  # fmt: skip
    await conn.execute(
        "UPDATE books SET status = ?, stage = ?, error = ?, updated_at = ? WHERE id = ?",
        (status, stage, error, now, book_id),
    )


async def set_stage(conn: aiosqlite.Connection, book_id: str, stage: str | None) -> None:
    """Only a processing book has a stage: a parse re-run after a crash may race the lookup that
    already moved the book to review, and must not leave it listed as processing for ever."""
    await conn.execute("UPDATE books SET stage = ? WHERE id = ? AND status = 'processing'", (stage, book_id))


async def set_links(conn: aiosqlite.Connection, book: Book) -> None:
    """Mirror authors, genres and series into their link tables (facets and OPDS navigation)."""
    num = book.num
    await conn.execute("DELETE FROM book_authors WHERE book_num = ?", (num,))
    await conn.execute("DELETE FROM book_genres WHERE book_num = ?", (num,))
    await conn.execute("DELETE FROM book_series WHERE book_num = ?", (num,))
    for position, name in enumerate(dict.fromkeys(a.strip() for a in book.authors if a.strip())):
        author_id = await _named_id(conn, "authors", name, sort_name=author_sort_name(name))
        await conn.execute(
            "INSERT OR IGNORE INTO book_authors (book_num, author_id, position) VALUES (?, ?, ?)",
            (num, author_id, position),
        )
    for name in dict.fromkeys(g.strip() for g in book.genres if g.strip()):
        genre_id = await _named_id(conn, "genres", name)
        await conn.execute("INSERT OR IGNORE INTO book_genres (book_num, genre_id) VALUES (?, ?)", (num, genre_id))
    if book.series and book.series.strip():
        series_id = await _named_id(conn, "series", book.series.strip())
        await conn.execute("INSERT INTO book_series (book_num, series_id) VALUES (?, ?)", (num, series_id))


async def _named_id(conn: aiosqlite.Connection, table: str, name: str, sort_name: str | None = None) -> int:
    row = await fetchone(conn, f"SELECT id FROM {table} WHERE name = ?", (name,))
    if row:
        return int(row["id"])
    if table == "authors":
        cursor = await conn.execute("INSERT INTO authors (name, sort_name) VALUES (?, ?)", (name, sort_name or name))
    else:
        cursor = await conn.execute(f"INSERT INTO {table} (name) VALUES (?)", (name,))
    return int(cursor.lastrowid or 0)


async def get(conn: aiosqlite.Connection, book_id: str, with_files: bool = True) -> Book | None:
    row = await fetchone(conn, "SELECT * FROM books WHERE id = ?", (book_id,))
    if row is None:
        return None
    book = row_to_book(row)
    if with_files:
        book.files = await files_of(conn, book.id)
    return book


async def get_many(conn: aiosqlite.Connection, book_ids: Sequence[str], with_files: bool = True) -> list[Book]:
    """Books in the order of ``book_ids`` (missing ids skipped), files attached; one trip to the thread."""
    if not book_ids:
        return []
    return await in_thread(conn, lambda raw: get_many_now(raw, book_ids, with_files))


def get_many_now(conn: sqlite3.Connection, book_ids: Sequence[str], with_files: bool = True) -> list[Book]:
    """:func:`get_many` on a plain connection, for code already in the database thread."""
    if not book_ids:
        return []
    marks = ",".join("?" * len(book_ids))
    cursor = conn.execute(f"SELECT * FROM books WHERE id IN ({marks})", tuple(book_ids))
    keys = tuple(d[0] for d in cursor.description)
    by_id = {book.id: book for book in (_book_from(keys, row) for row in cursor)}
    if with_files and by_id:
        marks = ",".join("?" * len(by_id))
        sql = f"SELECT * FROM files WHERE book_id IN ({marks}) ORDER BY added_at, id"
        for row in conn.execute(sql, tuple(by_id)):
            file = row_to_file(row)
            by_id[file.book_id].files.append(file)
    return [by_id[i] for i in book_ids if i in by_id]


async def delete(conn: aiosqlite.Connection, book_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM books WHERE id = ?", (book_id,))
    return cursor.rowcount > 0


# -- files -------------------------------------------------------------------


async def files_of(conn: aiosqlite.Connection, book_id: str) -> list[BookFile]:
    rows = await fetchall(conn, "SELECT * FROM files WHERE book_id = ? ORDER BY added_at, id", (book_id,))
    return [row_to_file(row) for row in rows]


async def get_file(conn: aiosqlite.Connection, file_id: str) -> BookFile | None:
    row = await fetchone(conn, "SELECT * FROM files WHERE id = ?", (file_id,))
    return row_to_file(row) if row else None


async def get_files(conn: aiosqlite.Connection, file_ids: Sequence[str]) -> list[BookFile]:
    """The files among ``file_ids`` that have rows (any order)."""
    marks = ",".join("?" * len(file_ids))
    return [
        row_to_file(row) for row in await fetchall(conn, f"SELECT * FROM files WHERE id IN ({marks})", tuple(file_ids))
    ]


async def touch(conn: aiosqlite.Connection, book_id: str, now: str) -> None:
    """The book changed (a file added or restored): lists and feeds sorted by change see it."""
    await conn.execute("UPDATE books SET updated_at = ? WHERE id = ?", (now, book_id))


async def set_page_count(conn: aiosqlite.Connection, file_id: str, pages: int) -> None:
    await conn.execute("UPDATE files SET page_count = ? WHERE id = ?", (pages, file_id))


async def fail_processing(conn: aiosqlite.Connection, book_id: str, error: str | None, now: str) -> None:
    """A book still processing shows as failed with ``error`` (its ingest job gave up)."""
    await conn.execute(
        "UPDATE books SET status = 'failed', stage = NULL, error = ?, updated_at = ? "
        "WHERE id = ? AND status = 'processing'",
        (error, now, book_id),
    )


async def resume_failed(conn: aiosqlite.Connection, book_id: str, stage: str, now: str) -> None:
    """A failed book is processing again at ``stage`` (its job is being retried)."""
    await conn.execute(
        "UPDATE books SET status = 'processing', stage = ?, error = NULL, updated_at = ? "
        "WHERE id = ? AND status = 'failed'",
        (stage, now, book_id),
    )


async def organized_ids(conn: aiosqlite.Connection) -> list[str]:
    """Every organized book, oldest first."""
    return [row["id"] for row in await fetchall(conn, "SELECT id FROM books WHERE status = 'organized' ORDER BY num")]


async def insert_file(conn: aiosqlite.Connection, file: BookFile) -> None:
    await conn.execute(
        "INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, page_count, "
        "added_at, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (file.id, file.book_id, file.format, file.root, file.path, file.filename, file.size, file.sha256,
         file.koreader_hash, file.page_count, file.added_at, name_key(file.path)),
    )  # fmt: skip
    await record_hashes(conn, file.id, file.added_at, koreader=file.koreader_hash, sha256=file.sha256)


async def update_file(conn: aiosqlite.Connection, file: BookFile, now: str) -> None:
    """Save a file's new place or bytes; earlier hashes stay in the history."""
    await conn.execute(
        "UPDATE files SET book_id = ?, format = ?, root = ?, path = ?, filename = ?, size = ?, sha256 = ?, "
        "koreader_hash = ?, page_count = ?, name_key = ? WHERE id = ?",
        (file.book_id, file.format, file.root, file.path, file.filename, file.size, file.sha256,
         file.koreader_hash, file.page_count, name_key(file.path), file.id),
    )  # fmt: skip
    await record_hashes(conn, file.id, now, koreader=file.koreader_hash, sha256=file.sha256)


async def delete_file(conn: aiosqlite.Connection, file_id: str) -> None:
    await conn.execute("DELETE FROM files WHERE id = ?", (file_id,))


def filename_document(name: str) -> str:
    """KOReader's document id in filename mode: the MD5 of the name the file was saved under."""
    import hashlib

    return hashlib.md5(name.encode("utf-8")).hexdigest()


async def unrecorded_filenames(conn: aiosqlite.Connection, file_id: str, names: Sequence[str]) -> list[str]:
    """Those of ``names`` whose filename-mode document id is not yet recorded for the file."""
    ids = {filename_document(name): name for name in names}
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await conn.execute_fetchall(
        f"SELECT value FROM file_hashes WHERE kind = 'filename' AND file_id = ? AND value IN ({marks})",
        (file_id, *ids),
    )
    known = {row[0] for row in rows}
    return [name for document, name in ids.items() if document not in known]


async def record_hashes(conn: aiosqlite.Connection, file_id: str, now: str, koreader: str | None = None,
                        sha256: str | None = None, filenames: Iterable[str] = ()) -> None:  # fmt: skip
    """Remember every id a file has had: KOReader partial MD5, SHA-256, MD5 of its names."""
    entries = []
    if koreader:
        entries.append(("koreader", koreader))
    if sha256:
        entries.append(("sha256", sha256))
    for name in filenames:
        entries.append(("filename", filename_document(name)))
    await conn.executemany(
        "INSERT OR IGNORE INTO file_hashes (file_id, kind, value, recorded_at) VALUES (?, ?, ?, ?)",
        [(file_id, kind, value, now) for kind, value in entries],
    )


async def find_file_by_sha256(conn: aiosqlite.Connection, sha256: str) -> BookFile | None:
    row = await fetchone(conn, "SELECT * FROM files WHERE sha256 = ? LIMIT 1", (sha256,))
    return row_to_file(row) if row else None


def _documents_sql(count: int) -> str:
    marks = ",".join("?" * count)
    return (
        f"SELECT h.value AS document, f.book_id FROM file_hashes h JOIN files f ON f.id = h.file_id "
        f"WHERE h.value IN ({marks}) AND h.kind IN ('koreader', 'filename') "
        f"UNION SELECT document, book_id FROM document_links WHERE user_id = ? AND document IN ({marks})"
    )


# Links are an account's own: one reader's manual match says nothing about another's document.
# CROSS JOIN: the book's files by book id first, never a scan of every hash of a kind.
_BOOK_DOCUMENTS_SQL = (
    "SELECT h.value FROM files f CROSS JOIN file_hashes h ON h.file_id = f.id "
    "WHERE f.book_id = ? AND h.kind IN ('koreader', 'filename') "
    "UNION SELECT document FROM document_links WHERE user_id = ? AND book_id = ?"
)


async def book_ids_for_documents(conn: aiosqlite.Connection, user_id: str, documents: Sequence[str]) -> dict[str, str]:
    """KOReader document id -> book id, through every hash any file ever had and the account's links."""
    if not documents:
        return {}
    rows = await fetchall(conn, _documents_sql(len(documents)), (*documents, user_id, *documents))
    return {row["document"]: row["book_id"] for row in rows}


def book_ids_for_documents_sync(conn: sqlite3.Connection, user_id: str, documents: Sequence[str]) -> dict[str, str]:
    """As :func:`book_ids_for_documents`, on a plain connection (inside ``Database.write(work)``)."""
    if not documents:
        return {}
    rows = conn.execute(_documents_sql(len(documents)), (*documents, user_id, *documents)).fetchall()
    return {row[0]: row[1] for row in rows}


async def documents_of_book(conn: aiosqlite.Connection, user_id: str, book_id: str) -> list[str]:
    rows = await fetchall(conn, _BOOK_DOCUMENTS_SQL, (book_id, user_id, book_id))
    return [row[0] for row in rows]


def documents_of_book_sync(conn: sqlite3.Connection, user_id: str, book_id: str) -> list[str]:
    return [row[0] for row in conn.execute(_BOOK_DOCUMENTS_SQL, (book_id, user_id, book_id))]


async def set_author_sort_names(conn: aiosqlite.Connection, sorts: dict[str, str]) -> None:
    """Keep sort names a user curated elsewhere (calibre's author_sort) instead of our guess."""
    await conn.executemany(
        "UPDATE authors SET sort_name = ? WHERE name = ?", [(sort, name) for name, sort in sorts.items() if sort]
    )
