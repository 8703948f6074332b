"""SQL for the Hardcover sync, per account: links to Hardcover books, what was last sent, the log, run status."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.db.reading import STATUS_SQL

LAST_SYNC_KEY = "hardcover.last_sync_at"
LAST_ERROR_KEY = "hardcover.last_error"


def account_key(key: str, user_id: str) -> str:
    """A run-status kv key of one account (migration 0012 moved the single reader's there)."""
    return f"{key}.{user_id}"


@dataclass
class Link:
    """A book's Hardcover identity. ``hardcover_book_id`` is None while unlinked (method none)."""

    book_id: str
    hardcover_book_id: int | None
    edition_id: int | None = None
    pages: int | None = None
    method: str = "none"  # isbn, search, user, none
    confidence: float | None = None
    user_set: bool = False
    fingerprint: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    updated_at: str | None = None

    @property
    def linked(self) -> bool:
        return self.hardcover_book_id is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "bookId": self.hardcover_book_id,
            "editionId": self.edition_id,
            "pages": self.pages,
            "method": self.method,
            "confidence": self.confidence,
            "userSet": self.user_set,
            "candidates": self.candidates,
            "updatedAt": self.updated_at,
        }


@dataclass
class SyncState:
    book_id: str
    user_book_id: int | None = None
    user_book_read_id: int | None = None
    sent_state: dict[str, Any] | None = None
    last_synced_at: str | None = None


@dataclass
class Pending:
    """An organized book with something to push: its metadata, reading state, link and sync state."""

    book_id: str
    title: str
    authors: list[str]
    isbn13: str | None
    isbn10: str | None
    page_count: int | None
    status: str  # reading status, as the rest of bookshelf computes it
    percentage: float | None
    last_read_at: int | None
    started_at: int | None
    finished_at: int | None
    last_finish: tuple[int | None, int] | None  # (started, finished) of the latest recorded finish
    link: Link | None
    sync: SyncState


def _link(row: sqlite3.Row, prefix: str = "") -> Link:
    return Link(
        book_id=row[prefix + "book_id"],
        hardcover_book_id=row[prefix + "hardcover_book_id"],
        edition_id=row[prefix + "edition_id"],
        pages=row[prefix + "pages"],
        method=row[prefix + "method"],
        confidence=row[prefix + "confidence"],
        user_set=bool(row[prefix + "user_set"]),
        fingerprint=row[prefix + "fingerprint"],
        candidates=json.loads(row[prefix + "candidates"] or "[]"),
        updated_at=row[prefix + "updated_at"],
    )


async def get_link(conn: aiosqlite.Connection, user_id: str, book_id: str) -> Link | None:
    row = await fetchone(conn, "SELECT * FROM hardcover_links WHERE user_id = ? AND book_id = ?", (user_id, book_id))
    return _link(row) if row else None


async def save_link(conn: aiosqlite.Connection, user_id: str, link: Link, now: str) -> bool:
    """Insert or replace a link; an automatic link never replaces a user's. True when written."""
    cursor = await conn.execute(
        "INSERT INTO hardcover_links (user_id, book_id, hardcover_book_id, edition_id, pages, method, confidence, "
        "user_set, fingerprint, candidates, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (user_id, book_id) DO UPDATE SET hardcover_book_id = excluded.hardcover_book_id, "
        "edition_id = excluded.edition_id, pages = excluded.pages, method = excluded.method, "
        "confidence = excluded.confidence, user_set = excluded.user_set, fingerprint = excluded.fingerprint, "
        "candidates = excluded.candidates, updated_at = excluded.updated_at "
        "WHERE hardcover_links.user_set = 0 OR excluded.user_set = 1",
        (
            user_id,
            link.book_id,
            link.hardcover_book_id,
            link.edition_id,
            link.pages,
            link.method,
            link.confidence,
            int(link.user_set),
            link.fingerprint,
            json.dumps(link.candidates),
            now,
            now,
        ),
    )
    link.updated_at = now
    return cursor.rowcount > 0


async def set_pages(
    conn: aiosqlite.Connection, user_id: str, book_id: str, pages: int | None, edition_id: int | None
) -> None:
    """Page count (and edition, when it was unknown) found later; the link itself is kept."""
    await conn.execute(
        "UPDATE hardcover_links SET pages = ?, edition_id = coalesce(edition_id, ?) WHERE user_id = ? AND book_id = ?",
        (pages, edition_id, user_id, book_id),
    )


async def delete_link(conn: aiosqlite.Connection, user_id: str, book_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM hardcover_links WHERE user_id = ? AND book_id = ?", (user_id, book_id))
    return cursor.rowcount > 0


async def save_sync_state(conn: aiosqlite.Connection, user_id: str, state: SyncState) -> None:
    await conn.execute(
        "INSERT INTO hardcover_sync_state (user_id, book_id, user_book_id, user_book_read_id, sent_state, "
        "last_synced_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, book_id) DO UPDATE SET "
        "user_book_id = excluded.user_book_id, "
        "user_book_read_id = excluded.user_book_read_id, sent_state = excluded.sent_state, "
        "last_synced_at = excluded.last_synced_at",
        (
            user_id,
            state.book_id,
            state.user_book_id,
            state.user_book_read_id,
            json.dumps(state.sent_state, sort_keys=True) if state.sent_state is not None else None,
            state.last_synced_at,
        ),
    )


async def pending(conn: aiosqlite.Connection, user_id: str, active_since: int) -> list[Pending]:
    """Organized books the account has progress or a manual status for, most recently read first."""
    rows = await fetchall(
        conn,
        f"SELECT b.id, b.title, b.authors, b.isbn13, b.isbn10, b.page_count, {STATUS_SQL} AS status, "
        "rs.percentage, rs.last_read_at, rs.started_at, rs.finished_at, "
        "(SELECT json_array(f.started_at, f.finished_at) FROM reading_finishes f WHERE f.user_id = :user "
        "AND f.book_id = b.id "
        " ORDER BY f.finished_at DESC LIMIT 1) AS last_finish, "
        "l.book_id AS l_book_id, l.hardcover_book_id AS l_hardcover_book_id, l.edition_id AS l_edition_id, "
        "l.pages AS l_pages, l.method AS l_method, l.confidence AS l_confidence, l.user_set AS l_user_set, "
        "l.fingerprint AS l_fingerprint, l.candidates AS l_candidates, l.updated_at AS l_updated_at, "
        "s.user_book_id, s.user_book_read_id, s.sent_state, s.last_synced_at "
        "FROM reading_state rs JOIN books b ON b.id = rs.book_id "
        "LEFT JOIN hardcover_links l ON l.user_id = rs.user_id AND l.book_id = b.id "
        "LEFT JOIN hardcover_sync_state s ON s.user_id = rs.user_id AND s.book_id = b.id "
        "WHERE rs.user_id = :user AND b.status = 'organized' "
        "AND (rs.percentage IS NOT NULL OR rs.manual_status IS NOT NULL) "
        "ORDER BY rs.last_read_at DESC NULLS LAST, b.num",
        {"active_since": active_since, "user": user_id},
    )
    found = []
    for row in rows:
        finish = json.loads(row["last_finish"]) if row["last_finish"] else None
        found.append(
            Pending(
                book_id=row["id"],
                title=row["title"],
                authors=json.loads(row["authors"] or "[]"),
                isbn13=row["isbn13"],
                isbn10=row["isbn10"],
                page_count=row["page_count"],
                status=row["status"],
                percentage=row["percentage"],
                last_read_at=row["last_read_at"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                last_finish=(finish[0], finish[1]) if finish else None,
                link=_link(row, "l_") if row["l_book_id"] else None,
                sync=SyncState(
                    row["id"],
                    row["user_book_id"],
                    row["user_book_read_id"],
                    json.loads(row["sent_state"]) if row["sent_state"] else None,
                    row["last_synced_at"],
                ),
            )
        )
    return found


# -- the log: one row per book and action, updated in place -------------------------------


async def log(
    conn: aiosqlite.Connection,
    user_id: str,
    book_id: str | None,
    hardcover_book_id: int | None,
    action: str,
    status: str,
    message: str | None,
    now: str,
) -> None:
    # UNIQUE (book_id, action) does not hold for a NULL book_id (run-level rows), hence update-then-insert.
    cursor = await conn.execute(
        "UPDATE hardcover_log SET hardcover_book_id = ?, status = ?, message = ?, last_synced_at = ? "
        "WHERE user_id = ? AND book_id IS ? AND action = ?",
        (hardcover_book_id, status, message, now, user_id, book_id, action),
    )
    if cursor.rowcount == 0:
        await conn.execute(
            "INSERT INTO hardcover_log (user_id, book_id, hardcover_book_id, action, status, message, "
            "last_synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, book_id, hardcover_book_id, action, status, message, now),
        )


async def recent_log(conn: aiosqlite.Connection, user_id: str, limit: int) -> list[dict[str, Any]]:
    rows = await fetchall(
        conn,
        "SELECT h.id, h.book_id, b.title, h.hardcover_book_id, h.action, h.status, h.message, h.last_synced_at "
        "FROM hardcover_log h LEFT JOIN books b ON b.id = h.book_id WHERE h.user_id = ? "
        "ORDER BY h.last_synced_at DESC, h.id DESC LIMIT ?",
        (user_id, limit),
    )
    return [
        {
            "id": r[0],
            "bookId": r[1],
            "bookTitle": r[2],
            "hardcoverBookId": r[3],
            "action": r[4],
            "status": r[5],
            "message": r[6],
            "lastSyncedAt": r[7],
        }
        for r in rows
    ]


# -- run status (kv) -----------------------------------------------------------------------


async def get_value(conn: aiosqlite.Connection, key: str) -> Any:
    row = await fetchone(conn, "SELECT value FROM kv WHERE key = ?", (key,))
    return json.loads(row[0]) if row else None


async def set_value(conn: aiosqlite.Connection, key: str, value: Any) -> None:
    if value is None:
        await conn.execute("DELETE FROM kv WHERE key = ?", (key,))
        return
    await conn.execute(
        "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


async def book_exists(conn: aiosqlite.Connection, book_id: str, status: str = "organized") -> bool:
    row = await fetchone(conn, "SELECT 1 FROM books WHERE id = ? AND status = ?", (book_id, status))
    return row is not None
