"""Reading a calibre library's metadata.db, strictly read-only.

The file is opened as ``file:...?mode=ro&immutable=1``: SQLite then takes no
locks and creates no -wal/-shm/-journal beside the user's library, so reading
never leaves a trace. (immutable also means a calibre writing at the same time
is not seen consistently; importing is meant for a library calibre is not
editing at that moment.) Rows are read in batches of book ids so a library of
tens of thousands of books costs a handful of queries per batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bookshelf.errors import CalibreError


@dataclass
class CalibreBook:
    id: int
    title: str
    path: str  # relative folder: Author/Title (id)
    uuid: str | None = None
    has_cover: bool = False
    author_sort: str | None = None
    isbn: str | None = None  # the legacy column, before the identifiers table
    pubdate: str | None = None
    series_index: float | None = None
    authors: list[tuple[str, str | None]] = field(default_factory=list)  # (name, sort) in calibre's order
    series: str | None = None
    tags: list[str] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)
    publisher: str | None = None
    languages: list[str] = field(default_factory=list)  # ISO 639-2 codes in calibre's order
    comments: str | None = None
    rating: int | None = None  # 0..10
    formats: list[tuple[str, str]] = field(default_factory=list)  # (FORMAT, file name without extension)


def connect(library: Path) -> sqlite3.Connection:
    db = library / "metadata.db"
    if not db.is_file():
        raise CalibreError(f"{library} is not a calibre library (no metadata.db)")
    uri = f"file:{quote(str(db.absolute()))}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("SELECT id FROM books LIMIT 1")
        # A damaged file can open and fail half-way through a run; checking every page up
        # front (a fraction of a second for a large library) lets the importer fall back
        # to the OPFs before it starts instead.
        verdict = conn.execute("PRAGMA quick_check(1)").fetchone()
        if not verdict or verdict[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {verdict[0] if verdict else 'no answer'}")
    except sqlite3.DatabaseError as exc:
        raise CalibreError(f"cannot read {db}: {exc}") from None
    conn.row_factory = sqlite3.Row
    return conn


class MetadataDb:
    """A library read through its metadata.db (the OPF reader has the same face)."""

    def __init__(self, conn: sqlite3.Connection, library_id: str) -> None:
        self.conn = conn
        self.uuid = library_id

    @classmethod
    def open(cls, library: Path) -> MetadataDb:
        conn = connect(library)
        try:
            return cls(conn, library_uuid(conn))
        except BaseException:
            conn.close()
            raise

    def book_ids(self) -> list[int]:
        return book_ids(self.conn)

    def read_books(self, ids: Sequence[int]) -> list[CalibreBook]:
        return read_books(self.conn, ids)

    def close(self) -> None:
        self.conn.close()


def library_uuid(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("SELECT uuid FROM library_id ORDER BY id LIMIT 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CalibreError(f"metadata.db has no library id: {exc}") from None
    if row is None or not row["uuid"]:
        raise CalibreError("metadata.db has no library id")
    return str(row["uuid"])


def book_ids(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT id FROM books ORDER BY id")]


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def read_books(conn: sqlite3.Connection, ids: Sequence[int]) -> list[CalibreBook]:
    """The books with these ids (in this order), with every linked table filled in."""
    if not ids:
        return []
    marks, params = _marks(ids), tuple(ids)
    books: dict[int, CalibreBook] = {}
    for row in conn.execute(
        "SELECT id, title, path, uuid, has_cover, author_sort, isbn, pubdate, series_index "
        f"FROM books WHERE id IN ({marks})",
        params,
    ):
        books[row["id"]] = CalibreBook(
            id=row["id"], title=row["title"] or "", path=row["path"] or "", uuid=row["uuid"],
            has_cover=bool(row["has_cover"]), author_sort=row["author_sort"], isbn=row["isbn"] or None,
            pubdate=row["pubdate"], series_index=row["series_index"],
        )  # fmt: skip
    # calibre orders a book's authors by the link row id (the order they were entered).
    for row in conn.execute(
        "SELECT l.book, a.name, a.sort FROM books_authors_link l JOIN authors a ON a.id = l.author "
        f"WHERE l.book IN ({marks}) ORDER BY l.book, l.id",
        params,
    ):
        books[row["book"]].authors.append((row["name"], row["sort"]))
    for row in conn.execute(
        f"SELECT l.book, s.name FROM books_series_link l JOIN series s ON s.id = l.series WHERE l.book IN ({marks})",
        params,
    ):
        books[row["book"]].series = row["name"]
    for row in conn.execute(
        "SELECT l.book, t.name FROM books_tags_link l JOIN tags t ON t.id = l.tag "
        f"WHERE l.book IN ({marks}) ORDER BY l.book, l.id",
        params,
    ):
        books[row["book"]].tags.append(row["name"])
    for row in conn.execute(f"SELECT book, type, val FROM identifiers WHERE book IN ({marks})", params):
        books[row["book"]].identifiers[str(row["type"]).lower()] = row["val"]
    for row in conn.execute(
        "SELECT l.book, p.name FROM books_publishers_link l JOIN publishers p ON p.id = l.publisher "
        f"WHERE l.book IN ({marks})",
        params,
    ):
        books[row["book"]].publisher = row["name"]
    for row in conn.execute(
        "SELECT l.book, g.lang_code FROM books_languages_link l JOIN languages g ON g.id = l.lang_code "
        f"WHERE l.book IN ({marks}) ORDER BY l.book, l.item_order",
        params,
    ):
        books[row["book"]].languages.append(row["lang_code"])
    for row in conn.execute(f"SELECT book, text FROM comments WHERE book IN ({marks})", params):
        books[row["book"]].comments = row["text"]
    for row in conn.execute(
        "SELECT l.book, r.rating FROM books_ratings_link l JOIN ratings r ON r.id = l.rating "
        f"WHERE l.book IN ({marks})",
        params,
    ):
        books[row["book"]].rating = row["rating"]
    for row in conn.execute(f"SELECT book, format, name FROM data WHERE book IN ({marks}) ORDER BY book, id", params):
        books[row["book"]].formats.append((str(row["format"]).upper(), row["name"]))
    return [books[i] for i in ids if i in books]
