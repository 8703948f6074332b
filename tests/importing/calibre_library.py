"""Builds calibre libraries the way calibre lays them out, with calibre's own metadata.db schema.

The tables are those of calibre's resources/metadata_sqlite.sql (books,
authors, series, tags, identifiers, publishers, languages, comments, ratings,
data and their link tables, library_id...), so the importer reads what a real
library holds. Each book gets ``Author/Title (id)/`` with one file per format,
``cover.jpg`` and ``metadata.opf`` in calibre's own OPF format.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from tests.builders import make_epub, make_jpeg, make_pdf

SCHEMA = """
CREATE TABLE authors ( id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, sort TEXT COLLATE NOCASE,
    link TEXT NOT NULL DEFAULT "", UNIQUE(name));
CREATE TABLE books ( id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL DEFAULT 'Unknown' COLLATE NOCASE,
    sort TEXT COLLATE NOCASE, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    pubdate TIMESTAMP DEFAULT CURRENT_TIMESTAMP, series_index REAL NOT NULL DEFAULT 1.0,
    author_sort TEXT COLLATE NOCASE, isbn TEXT DEFAULT "" COLLATE NOCASE, lccn TEXT DEFAULT "" COLLATE NOCASE,
    path TEXT NOT NULL DEFAULT "", flags INTEGER NOT NULL DEFAULT 1, uuid TEXT, has_cover BOOL DEFAULT 0,
    last_modified TIMESTAMP NOT NULL DEFAULT "2000-01-01 00:00:00+00:00");
CREATE TABLE books_authors_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, author INTEGER NOT NULL,
    UNIQUE(book, author));
CREATE TABLE books_languages_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, lang_code INTEGER NOT NULL,
    item_order INTEGER NOT NULL DEFAULT 0, UNIQUE(book, lang_code));
CREATE TABLE books_plugin_data(id INTEGER PRIMARY KEY, book INTEGER NON NULL, name TEXT NON NULL,
    val TEXT NON NULL, UNIQUE(book,name));
CREATE TABLE books_publishers_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, publisher INTEGER NOT NULL,
    UNIQUE(book));
CREATE TABLE books_ratings_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, rating INTEGER NOT NULL,
    UNIQUE(book, rating));
CREATE TABLE books_series_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, series INTEGER NOT NULL,
    UNIQUE(book));
CREATE TABLE books_tags_link ( id INTEGER PRIMARY KEY, book INTEGER NOT NULL, tag INTEGER NOT NULL,
    UNIQUE(book, tag));
CREATE TABLE comments ( id INTEGER PRIMARY KEY, book INTEGER NON NULL, text TEXT NON NULL COLLATE NOCASE,
    UNIQUE(book));
CREATE TABLE conversion_options ( id INTEGER PRIMARY KEY, format TEXT NOT NULL COLLATE NOCASE, book INTEGER,
    data BLOB NOT NULL, UNIQUE(format,book));
CREATE TABLE custom_columns ( id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, name TEXT NOT NULL,
    datatype TEXT NOT NULL, mark_for_delete BOOL DEFAULT 0 NOT NULL, editable BOOL DEFAULT 1 NOT NULL,
    display TEXT DEFAULT "{}" NOT NULL, is_multiple BOOL DEFAULT 0 NOT NULL, normalized BOOL NOT NULL,
    UNIQUE(label));
CREATE TABLE data ( id INTEGER PRIMARY KEY, book INTEGER NON NULL, format TEXT NON NULL COLLATE NOCASE,
    uncompressed_size INTEGER NON NULL, name TEXT NON NULL, UNIQUE(book, format));
CREATE TABLE feeds ( id INTEGER PRIMARY KEY, title TEXT NOT NULL, script TEXT NOT NULL, UNIQUE(title));
CREATE TABLE identifiers ( id INTEGER PRIMARY KEY, book INTEGER NON NULL,
    type TEXT NON NULL DEFAULT "isbn" COLLATE NOCASE, val TEXT NON NULL COLLATE NOCASE, UNIQUE(book, type));
CREATE TABLE languages ( id INTEGER PRIMARY KEY, lang_code TEXT NON NULL COLLATE NOCASE, UNIQUE(lang_code));
CREATE TABLE library_id ( id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, UNIQUE(uuid));
CREATE TABLE metadata_dirtied(id INTEGER PRIMARY KEY, book INTEGER NOT NULL, UNIQUE(book));
CREATE TABLE preferences(id INTEGER PRIMARY KEY, key TEXT NON NULL, val TEXT NON NULL, UNIQUE(key));
CREATE TABLE publishers ( id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, sort TEXT COLLATE NOCASE,
    UNIQUE(name));
CREATE TABLE ratings ( id INTEGER PRIMARY KEY, rating INTEGER CHECK(rating > -1 AND rating < 11), UNIQUE (rating));
CREATE TABLE series ( id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, sort TEXT COLLATE NOCASE,
    UNIQUE (name));
CREATE TABLE tags ( id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, UNIQUE (name));
CREATE INDEX books_authors_link_bidx ON books_authors_link (book);
CREATE INDEX data_idx ON data (book);
PRAGMA user_version=25;
"""
UNDEFINED_DATE = "0101-01-01 00:00:00+00:00"
QUOTE = {'"': "&quot;"}


@dataclass
class CBook:
    title: str
    authors: list[tuple[str, str]] = field(default_factory=lambda: [("Ann Author", "Author, Ann")])
    formats: list[str] = field(default_factory=lambda: ["EPUB"])
    series: str | None = None
    series_index: float = 1.0
    tags: list[str] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)
    publisher: str | None = None
    pubdate: str = UNDEFINED_DATE
    languages: list[str] = field(default_factory=list)
    comments: str | None = None
    rating: int | None = None
    cover: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # format -> exact bytes (else generated)
    id: int = 0
    path: str = ""


def _safe(text: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' else c for c in text)[:60].strip()


def make_calibre_library(root: Path, books: list[CBook], library_uuid: str | None = None) -> Path:
    """A calibre library at ``root`` holding ``books`` (ids assigned 1..n, written back on each CBook)."""
    root.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(root / "metadata.db")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO library_id (uuid) VALUES (?)", (library_uuid or str(uuid.uuid4()),))
    for book in books:
        _add(conn, root, book)
    conn.commit()
    conn.close()
    return root


def _named(conn: sqlite3.Connection, table: str, column: str, value: object, **extra: object) -> int:
    row = conn.execute(f"SELECT id FROM {table} WHERE {column} = ?", (value,)).fetchone()
    if row:
        return int(row[0])
    cols = [column, *extra]
    marks = ",".join("?" * len(cols))
    cur = conn.execute(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", (value, *extra.values()))
    return int(cur.lastrowid or 0)


def _add(conn: sqlite3.Connection, root: Path, book: CBook) -> None:
    first = book.authors[0][0] if book.authors else "Unknown"
    author_sort = " & ".join(sort for _, sort in book.authors) or "Unknown"
    book_uuid = str(uuid.uuid4())
    cur = conn.execute(
        "INSERT INTO books (title, sort, pubdate, series_index, author_sort, path, uuid, has_cover) "
        "VALUES (?, ?, ?, ?, ?, '', ?, ?)",
        (book.title, book.title, book.pubdate, book.series_index, author_sort, book_uuid, int(bool(book.cover))),
    )
    book.id = int(cur.lastrowid or 0)
    book.path = f"{_safe(first)}/{_safe(book.title)} ({book.id})"
    conn.execute("UPDATE books SET path = ? WHERE id = ?", (book.path, book.id))
    for name, sort in book.authors:
        author = _named(conn, "authors", "name", name, sort=sort)
        conn.execute("INSERT INTO books_authors_link (book, author) VALUES (?, ?)", (book.id, author))
    if book.series:
        series = _named(conn, "series", "name", book.series, sort=book.series)
        conn.execute("INSERT INTO books_series_link (book, series) VALUES (?, ?)", (book.id, series))
    for tag in book.tags:
        conn.execute(
            "INSERT INTO books_tags_link (book, tag) VALUES (?, ?)", (book.id, _named(conn, "tags", "name", tag))
        )
    for kind, value in book.identifiers.items():
        conn.execute("INSERT INTO identifiers (book, type, val) VALUES (?, ?, ?)", (book.id, kind, value))
    if book.publisher:
        publisher = _named(conn, "publishers", "name", book.publisher)
        conn.execute("INSERT INTO books_publishers_link (book, publisher) VALUES (?, ?)", (book.id, publisher))
    for order, code in enumerate(book.languages):
        lang = _named(conn, "languages", "lang_code", code)
        conn.execute(
            "INSERT INTO books_languages_link (book, lang_code, item_order) VALUES (?, ?, ?)", (book.id, lang, order)
        )
    if book.comments:
        conn.execute("INSERT INTO comments (book, text) VALUES (?, ?)", (book.id, book.comments))
    if book.rating is not None:
        rating = _named(conn, "ratings", "rating", book.rating)
        conn.execute("INSERT INTO books_ratings_link (book, rating) VALUES (?, ?)", (book.id, rating))
    folder = root / book.path
    folder.mkdir(parents=True, exist_ok=True)
    name = _safe(f"{book.title} - {first}")
    for fmt in book.formats:
        target = folder / f"{name}.{fmt.lower()}"
        if fmt in book.files:
            target.write_bytes(book.files[fmt])
        elif fmt == "PDF":
            make_pdf(target, title=book.title, author=first, text=f"calibre book {book.id}")
        elif fmt == "EPUB":
            make_epub(target, title=book.title, authors=[a for a, _ in book.authors], uid=f"urn:uuid:{uuid.uuid4()}")
        else:
            target.write_bytes(f"{fmt} file of calibre book {book.id}".encode())
        conn.execute(
            "INSERT INTO data (book, format, uncompressed_size, name) VALUES (?, ?, ?, ?)",
            (book.id, fmt, target.stat().st_size, name),
        )
    if book.cover:
        (folder / "cover.jpg").write_bytes(book.cover)
    (folder / "metadata.opf").write_text(_opf(book, book_uuid), encoding="utf-8")


def _opf(book: CBook, book_uuid: str) -> str:
    """metadata.opf as calibre writes it beside each book (OPF 2.0 with calibre's metas)."""
    x = escape
    lines = [
        f'<dc:identifier opf:scheme="calibre" id="calibre_id">{book.id}</dc:identifier>',
        f'<dc:identifier opf:scheme="uuid" id="uuid_id">{book_uuid}</dc:identifier>',
        f"<dc:title>{x(book.title)}</dc:title>",
        *(f'<dc:creator opf:file-as="{x(sort, QUOTE)}" opf:role="aut">{x(name)}</dc:creator>'
          for name, sort in book.authors),
        '<dc:contributor opf:file-as="calibre" opf:role="bkp">calibre (6.13.0) [https://calibre-ebook.com]'
        "</dc:contributor>",
        f"<dc:date>{book.pubdate.replace(' ', 'T')}</dc:date>",
    ]  # fmt: skip
    if book.comments:
        lines.append(f"<dc:description>{x(book.comments)}</dc:description>")
    if book.publisher:
        lines.append(f"<dc:publisher>{x(book.publisher)}</dc:publisher>")
    lines += [f'<dc:identifier opf:scheme="{x(k.upper(), QUOTE)}">{x(v)}</dc:identifier>'
              for k, v in book.identifiers.items()]  # fmt: skip
    lines += [f"<dc:language>{x(code)}</dc:language>" for code in book.languages]
    lines += [f"<dc:subject>{x(tag)}</dc:subject>" for tag in book.tags]
    links = json.dumps({name: "" for name, _ in book.authors}, ensure_ascii=False)
    metas = {"calibre:author_link_map": links}
    if book.series:
        metas["calibre:series"] = book.series
        metas["calibre:series_index"] = f"{book.series_index:g}"
    if book.rating is not None:
        metas["calibre:rating"] = f"{float(book.rating):g}"
    metas["calibre:timestamp"] = "2024-05-01T10:00:00+00:00"
    metas["calibre:title_sort"] = book.title
    lines += [f'<meta name="{name}" content="{x(value, QUOTE)}"/>' for name, value in metas.items()]
    body = "\n        ".join(lines)
    cover = '<reference type="cover" title="Cover" href="cover.jpg"/>'
    guide = f"\n    <guide>\n        {cover}\n    </guide>" if book.cover else ""
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="uuid_id" version="2.0">\n'
        '    <metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">\n'
        f"        {body}\n    </metadata>{guide}\n</package>\n"
    )


def default_cover(seed: int = 0) -> bytes:
    return make_jpeg(120, 180, color=(seed * 37 % 256, seed * 91 % 256, 120))


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under ``root`` with its size, mtime (ns) and SHA-256: proof nothing was written."""
    import hashlib

    state: dict[str, tuple[int, int, str]] = {str(root): (0, root.stat().st_mtime_ns, "dir")}
    for path in sorted(root.rglob("*")):
        info = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        state[str(path.relative_to(root))] = (info.st_size if path.is_file() else 0, info.st_mtime_ns, digest)
    return state
