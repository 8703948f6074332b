"""SQL for the full-text index: ranked matches, counts, vocabulary, change counters, rebuild.

These are plain functions over a ``sqlite3.Connection``: the search service runs
a whole query plan in the connection's own thread (one hop, not one per
statement), under a progress-handler deadline so no query can run away.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bookshelf.db.catalog import generation_now
from bookshelf.folding import FOLD_VERSION

# bm25 weights for title, authors, series, description (title weighs most).
WEIGHTS = (10.0, 6.0, 4.0, 1.0)
_BM25 = "bm25(books_fts, " + ", ".join(str(w) for w in WEIGHTS) + ")"
_PROGRESS_STEPS = 10_000  # SQLite VM instructions between deadline checks
# Up to this many listed books, looking each one up in the index beats walking all its matches.
_PER_ROW_LOOKUPS = 16


class QueryTimeout(Exception):
    """A search ran past its deadline and was interrupted."""


@contextmanager
def time_box(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Abort any statement on ``conn`` still running ``seconds`` from now (raises QueryTimeout)."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, _PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise QueryTimeout(str(exc)) from None
        raise
    finally:
        conn.set_progress_handler(None, 0)


def _filtered(where: str) -> str:
    return f"FROM books_fts f JOIN books b ON b.num = f.rowid WHERE books_fts MATCH ? AND {where}"


def count_matches(conn: sqlite3.Connection, expression: str, where: str, params: list[Any]) -> int:
    row = conn.execute(f"SELECT count(*) {_filtered(where)}", (expression, *params)).fetchone()
    return int(row[0])


def ranked(
    conn: sqlite3.Connection, expression: str, where: str, params: list[Any], limit: int, offset: int = 0
) -> list[tuple[int, str]]:
    """(num, id) of matching books, best bm25 first."""
    sql = f"SELECT b.num, b.id {_filtered(where)} ORDER BY {_BM25}, b.num LIMIT ? OFFSET ?"
    return [(r[0], r[1]) for r in conn.execute(sql, (expression, *params, limit, offset))]


def unranked(
    conn: sqlite3.Connection, expression: str, where: str, params: list[Any], limit: int, offset: int = 0
) -> list[tuple[int, str]]:
    """(num, id) of matching books, newest row first: for match sets too large to rank usefully."""
    sql = f"SELECT b.num, b.id {_filtered(where)} ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
    return [(r[0], r[1]) for r in conn.execute(sql, (expression, *params, limit, offset))]


def fts_count(conn: sqlite3.Connection, expression: str) -> int:
    """Matches in the index alone: no join, so about 0.1 us a row instead of 1 us."""
    return int(conn.execute("SELECT count(*) FROM books_fts WHERE books_fts MATCH ?", (expression,)).fetchone()[0])


def fts_count_among(conn: sqlite3.Connection, expression: str, statuses: tuple[str, ...]) -> int:
    """Matches whose book has one of ``statuses`` (meant for the few inbox books)."""
    marks = ",".join("?" * len(statuses))
    listed = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM books WHERE status IN ({marks}) LIMIT ?)",
        (*statuses, _PER_ROW_LOOKUPS + 1),
    ).fetchone()[0]
    if not listed:
        return 0
    # FTS5 takes a plain `rowid IN (...)` as one lookup per listed book, and each lookup evaluates the
    # whole MATCH again: 0.05 ms a book, so 500 books in review made every library search 25-70 ms and
    # an inbox search among 10,000 organized books 0.45 s. `+rowid` hides the list from the index,
    # which then walks its matches once and checks each against the list (about 1 ms).
    rowid = "rowid" if listed <= _PER_ROW_LOOKUPS else "+rowid"
    sql = (
        "SELECT count(*) FROM books_fts WHERE books_fts MATCH ? "
        f"AND {rowid} IN (SELECT num FROM books WHERE status IN ({marks}))"
    )
    return int(conn.execute(sql, (expression, *statuses)).fetchone()[0])


def fts_nums(conn: sqlite3.Connection, expression: str, ranked: bool, limit: int) -> list[int]:
    """Rows of the index alone: best bm25 first, or newest first."""
    order = f"{_BM25}, rowid" if ranked else "rowid DESC"
    sql = f"SELECT rowid FROM books_fts WHERE books_fts MATCH ? ORDER BY {order} LIMIT ?"
    return [r[0] for r in conn.execute(sql, (expression, limit))]


def ids_with_status(conn: sqlite3.Connection, nums: list[int], statuses: tuple[str, ...]) -> dict[int, str]:
    """num -> id for those of ``nums`` whose book has one of ``statuses``."""
    if not nums:
        return {}
    marks = ",".join("?" * len(statuses))
    # `+status`: the list must drive (a lookup per listed row). Offered the status index, SQLite
    # walked every organized book and checked each against the list: 22 ms at 100,000 books.
    sql = f"SELECT num, id FROM books WHERE num IN (SELECT value FROM json_each(?)) AND +status IN ({marks})"
    return {r[0]: r[1] for r in conn.execute(sql, ("[" + ",".join(map(str, nums)) + "]", *statuses))}


def title_prefix(conn: sqlite3.Connection, prefix: str, statuses: tuple[str, ...], limit: int) -> list[tuple[int, str]]:
    """Books whose sort title starts with ``prefix`` (already folded), through the (status, sort_title) index."""
    marks = ",".join("?" * len(statuses))
    sql = (
        f"SELECT num, id FROM books WHERE status IN ({marks}) AND sort_title >= ? AND sort_title < ? "
        "ORDER BY sort_title, num LIMIT ?"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, (*statuses, prefix, prefix + "\U0010ffff", limit))]


def versions(conn: sqlite3.Connection) -> tuple[int, int]:
    """(search_version, library_version): counters bumped by triggers on every relevant write."""
    row = conn.execute("SELECT search_version, library_version FROM search_state WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def change_marker(conn: sqlite3.Connection, statuses: tuple[str, ...]) -> tuple[Any, ...]:
    """What a remembered answer over books of ``statuses`` is keyed by. For the library alone that
    is the catalog's generation, which triggers move in the same transaction as any change to an
    organized book, its files or its names (and nothing else: books arriving in the inbox, which
    move the other counters on every step, leave every library answer valid)."""
    if statuses == ("organized",):
        return ("library", generation_now(conn))
    return ("any", *versions(conn))


def text_versions(conn: sqlite3.Connection) -> tuple[int, int]:
    """(search_version, library_text_version): any indexed text, and the organized books' text alone."""
    row = conn.execute("SELECT search_version, library_text_version FROM search_state WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def vocabulary(conn: sqlite3.Connection, max_terms: int) -> tuple[tuple[int, int], list[tuple[str, int]]]:
    """(:func:`text_versions`, [(term, documents)]) read in one snapshot.

    Every term is kept while there are at most ``max_terms``. Past that (a very
    large library), description words found in one book only are left out: such
    a word is more often a name or a typo than something people search for,
    and every title, author and series word stays.
    """
    conn.execute("BEGIN")
    try:
        version = text_versions(conn)
        rows = conn.execute(
            "SELECT term, sum(doc), max(col <> 'description') FROM books_vocab_col GROUP BY term"
        ).fetchall()
    finally:
        conn.execute("COMMIT")
    if len(rows) > max_terms:
        rows = [r for r in rows if r[2] or r[1] >= 2]
    return version, [(r[0], int(r[1])) for r in rows]


def index_agrees(conn: sqlite3.Connection) -> bool:
    """Whether the index holds one entry per book in today's folding (a cheap check run at start)."""
    books = conn.execute("SELECT count(*), coalesce(max(num), 0) FROM books").fetchone()
    indexed = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM books_fts_docsize").fetchone()
    return tuple(books) == tuple(indexed) and fold_version(conn) == FOLD_VERSION


def fold_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT fold_version FROM search_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def rebuild(conn: sqlite3.Connection) -> None:
    """Refill the index with folded text from the books table (in the caller's transaction).

    The index is contentless, so FTS5's own 'rebuild' (which would read unfolded text) is refused;
    the connection must have bookshelf.folding.register'ed ``search_fold``.
    """
    conn.execute("INSERT INTO books_fts (books_fts) VALUES ('delete-all')")
    conn.execute(
        "INSERT INTO books_fts (rowid, title, authors, series, description) SELECT num, search_fold(title), "
        "search_fold(authors), search_fold(series), search_fold(description) FROM books"
    )
    conn.execute("UPDATE books SET sort_title = search_sort_key(title) WHERE sort_title <> search_sort_key(title)")
    conn.execute(
        "UPDATE search_state SET search_version = search_version + 1, "
        "library_text_version = library_text_version + 1, fold_version = ?",
        (FOLD_VERSION,),
    )


def optimize(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO books_fts (books_fts) VALUES ('optimize')")


def rebuild_all(conn: sqlite3.Connection, tidy: bool = True) -> int:
    """Rebuild (and with ``tidy`` optimize) the index in one transaction; the number of books."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        rebuild(conn)
        if tidy:
            optimize(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return int(conn.execute("SELECT count(*) FROM books").fetchone()[0])


def brief_rows(conn: sqlite3.Connection, nums: list[int]) -> list[sqlite3.Row]:
    """The few columns a suggestion shows, for ``nums`` (any order)."""
    if not nums:
        return []
    marks = ",".join("?" * len(nums))
    sql = f"SELECT num, id, status, title, authors, cover_sha256 FROM books WHERE num IN ({marks})"
    return conn.execute(sql, nums).fetchall()


def sorted_page(
    conn: sqlite3.Connection, where: str, params: list[Any], order: str, limit: int, offset: int
) -> list[str]:
    """Book ids of one page of a filtered list in ``order``."""
    rows = conn.execute(
        f"SELECT b.id FROM books b WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", (*params, limit, offset)
    ).fetchall()
    return [r[0] for r in rows]
