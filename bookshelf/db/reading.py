"""SQL for reading state: per-account, per-book summaries, finishes, document links, and listing books by status.

Functions that write (and the reads a write depends on) take a plain sqlite3
connection and run inside ``Database.write(work)``; listings are async reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.models import READING_SORTS, READING_STATUSES

# The one definition of a book's status, evaluated at query time so `paused`
# needs no background job. `:active_since` is now minus pausedAfterDays.
STATUS_SQL = (
    "CASE WHEN rs.manual_status IS NOT NULL THEN rs.manual_status "
    "WHEN rs.finished_at IS NOT NULL THEN 'finished' "
    "WHEN rs.percentage IS NULL THEN 'unread' "
    "WHEN rs.last_read_at >= :active_since THEN 'reading' ELSE 'paused' END"
)

SORTS = {
    "title": "b.sort_title {o}, b.num {o}",
    "author": "b.author_sort {o}, b.sort_title {o}, b.num {o}",
    "percentage": "rs.percentage {o} NULLS LAST, b.sort_title ASC, b.num ASC",
    "lastRead": "rs.last_read_at {o} NULLS LAST, b.sort_title ASC, b.num ASC",
}
assert tuple(SORTS) == READING_SORTS


@dataclass
class ReadingState:
    book_id: str
    percentage: float | None = None
    last_read_at: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    manual_status: str | None = None


@dataclass(frozen=True)
class Summary:
    """What a list shows of a book's reading: status, latest percentage, last read time."""

    status: str
    percentage: float | None
    last_read_at: int | None


def get_state(conn: sqlite3.Connection, user_id: str, book_id: str) -> ReadingState | None:
    row = conn.execute(
        "SELECT book_id, percentage, last_read_at, started_at, finished_at, manual_status FROM reading_state "
        "WHERE user_id = ? AND book_id = ?",
        (user_id, book_id),
    ).fetchone()
    return ReadingState(*row) if row else None


def save_state(conn: sqlite3.Connection, user_id: str, state: ReadingState, now: str) -> None:
    conn.execute(
        "INSERT INTO reading_state (user_id, book_id, percentage, last_read_at, started_at, finished_at, "
        "manual_status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, book_id) DO UPDATE SET "
        "percentage = excluded.percentage, last_read_at = excluded.last_read_at, started_at = excluded.started_at, "
        "finished_at = excluded.finished_at, manual_status = excluded.manual_status, updated_at = excluded.updated_at",
        (user_id, state.book_id, state.percentage, state.last_read_at, state.started_at, state.finished_at,
         state.manual_status, now),
    )  # fmt: skip


def add_finish(conn: sqlite3.Connection, user_id: str, book_id: str, started_at: int | None, finished_at: int) -> None:
    conn.execute(
        "INSERT INTO reading_finishes (user_id, book_id, started_at, finished_at) VALUES (?, ?, ?, ?)",
        (user_id, book_id, started_at, finished_at),
    )


def clear_finishes(conn: sqlite3.Connection, user_id: str, book_id: str) -> None:
    conn.execute("DELETE FROM reading_finishes WHERE user_id = ? AND book_id = ?", (user_id, book_id))


def link_document(conn: sqlite3.Connection, user_id: str, document: str, book_id: str, method: str, now: str) -> None:
    conn.execute(
        "INSERT INTO document_links (user_id, document, book_id, method, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id, document) DO UPDATE SET book_id = excluded.book_id, method = excluded.method, "
        "created_at = excluded.created_at",
        (user_id, document, book_id, method, now),
    )


async def summaries(
    conn: aiosqlite.Connection, user_id: str, book_ids: Sequence[str], active_since: int
) -> dict[str, Summary]:
    """The account's reading summary of each book that has a state row (others are unread), in one query."""
    if not book_ids:
        return {}
    rows = await fetchall(
        conn,
        f"SELECT rs.book_id, {STATUS_SQL} AS status, rs.percentage, rs.last_read_at FROM reading_state rs "
        f"WHERE rs.user_id = :user AND rs.book_id IN (SELECT value FROM json_each(:ids))",
        {"ids": json.dumps(list(book_ids)), "active_since": active_since, "user": user_id},
    )
    return {row["book_id"]: Summary(row["status"], row["percentage"], row["last_read_at"]) for row in rows}


async def list_by_status(
    conn: aiosqlite.Connection,
    user_id: str,
    status: str,
    active_since: int,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
    nums: list[int] | None = None,
) -> tuple[list[str], int]:
    """(book ids of one page, total) of organized books whose status is ``status``."""
    # With a list of rows (a search) the list drives: `+b.status` keeps SQLite from walking every
    # organized book through the status index and checking each against the list.
    organized = "b.status" if nums is None else "+b.status"
    where = f"{organized} = 'organized' AND {STATUS_SQL} = :status"
    params: dict[str, object] = {"status": status, "active_since": active_since, "user": user_id}
    if nums is not None:
        where += " AND b.num IN (SELECT value FROM json_each(:nums))"
        params["nums"] = json.dumps(nums)
    order = SORTS[sort].format(o="DESC" if descending else "ASC")
    base = f"FROM books b LEFT JOIN reading_state rs ON rs.book_id = b.id AND rs.user_id = :user WHERE {where}"
    page = {**params, "limit": limit, "offset": offset}
    rows = await fetchall(conn, f"SELECT b.id {base} ORDER BY {order} LIMIT :limit OFFSET :offset", page)
    total = await fetchone(conn, f"SELECT count(*) {base}", params)
    return [row[0] for row in rows], int(total[0]) if total else 0


async def status_counts(conn: aiosqlite.Connection, user_id: str, active_since: int) -> dict[str, int]:
    """Organized books per reading status. Only books with reading state are classified (a few,
    driven from reading_state by the CROSS JOIN); every other organized book is unread."""
    rows = await fetchall(
        conn,
        f"SELECT {STATUS_SQL} AS status, count(*) FROM reading_state rs CROSS JOIN books b ON b.id = rs.book_id "
        f"WHERE rs.user_id = :user AND b.status = 'organized' GROUP BY 1",
        {"active_since": active_since, "user": user_id},
    )
    organized = await fetchone(conn, "SELECT count(*) FROM books WHERE status = 'organized'")
    counts = dict.fromkeys(READING_STATUSES, 0)
    for row in rows:
        counts[row[0]] = row[1]
    counts["unread"] += (organized[0] if organized else 0) - sum(row[1] for row in rows)
    return counts


async def recently_read(
    conn: aiosqlite.Connection, user_id: str, status: str, active_since: int, limit: int
) -> list[str]:
    """Ids of the account's books in ``status``, most recently read first."""
    rows = await fetchall(
        conn,
        f"SELECT rs.book_id FROM reading_state rs JOIN books b ON b.id = rs.book_id WHERE rs.user_id = :user "
        f"AND {STATUS_SQL} = :status ORDER BY rs.last_read_at DESC LIMIT :limit",
        {"status": status, "active_since": active_since, "limit": limit, "user": user_id},
    )
    return [row[0] for row in rows]


def books_titled(conn: sqlite3.Connection, sort_title: str) -> list[tuple[str, list[str]]]:
    """(id, authors) of every book whose folded title is ``sort_title``."""
    rows = conn.execute(
        "SELECT id, authors FROM books WHERE status IN ('processing', 'review', 'organized', 'failed') "
        "AND sort_title = ?",
        (sort_title,),
    ).fetchall()
    return [(row[0], json.loads(row[1] or "[]")) for row in rows]


def books_with_file_named(conn: sqlite3.Connection, filename: str, name_md5: str) -> set[str]:
    """Books with a file stored or served under ``filename`` (now or ever)."""
    rows = conn.execute(
        "SELECT f.book_id FROM file_hashes h JOIN files f ON f.id = h.file_id WHERE h.kind = 'filename' "
        "AND h.value = ? UNION SELECT book_id FROM files WHERE filename = ?",
        (name_md5, filename),
    ).fetchall()
    return {row[0] for row in rows}
