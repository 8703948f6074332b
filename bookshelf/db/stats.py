"""SQL for statistics: reading activity from the history, finishes, genres, and library totals."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.db.reading import STATUS_SQL
from bookshelf.models import Progress

BUCKET_SECONDS = 900  # every time zone in use is a whole number of quarter hours from UTC
SESSION_GAP_SECONDS = 600


@dataclass(frozen=True)
class Bucket:
    """Reading in one quarter hour: estimated seconds, fraction of books read, number of writes."""

    start: int
    seconds: int
    read: float
    updates: int


def add_activity(conn: sqlite3.Connection, user_id: str, update: Progress) -> None:
    """Count a KOReader write into its quarter hour, before it joins the history (docs/reading-stats.md).

    A gap under 10 minutes since the same device's previous write is reading
    time; a gain over the document's previous write (from any device) is
    progress read, a loss counts zero. Both are credited to this write.
    """
    previous_at = conn.execute(
        "SELECT max(timestamp) FROM reading_history WHERE user_id = ? AND device_id = ?", (user_id, update.device_key)
    ).fetchone()[0]
    previous = conn.execute(
        "SELECT percentage FROM reading_history WHERE user_id = ? AND document = ? ORDER BY id DESC LIMIT 1",
        (user_id, update.document),
    ).fetchone()
    gap = update.timestamp - previous_at if previous_at is not None else SESSION_GAP_SECONDS
    seconds = gap if 0 <= gap < SESSION_GAP_SECONDS else 0
    gain = max(0.0, update.percentage - previous[0]) if previous else 0.0
    conn.execute(
        "INSERT INTO reading_activity (user_id, bucket, seconds, gain, updates) VALUES (?, ?, ?, ?, 1) "
        "ON CONFLICT (user_id, bucket) DO UPDATE SET seconds = seconds + excluded.seconds, "
        "gain = gain + excluded.gain, updates = updates + 1",
        (user_id, update.timestamp // BUCKET_SECONDS * BUCKET_SECONDS, seconds, gain),
    )


def rebuild_activity(conn: sqlite3.Connection) -> None:
    """Recount every quarter hour from the whole history (after history was written by other means)."""
    conn.execute("DELETE FROM reading_activity")
    conn.execute(
        f"INSERT INTO reading_activity (user_id, bucket, seconds, gain, updates) "
        f"SELECT user_id, t / {BUCKET_SECONDS} * {BUCKET_SECONDS}, "
        f"sum(CASE WHEN gap < {SESSION_GAP_SECONDS} THEN gap ELSE 0 END), sum(max(coalesce(step, 0), 0)), count(*) "
        "FROM (SELECT user_id, timestamp AS t, "
        "timestamp - lag(timestamp) OVER (PARTITION BY user_id, device_id ORDER BY timestamp, id) AS gap, "
        "percentage - lag(percentage) OVER (PARTITION BY user_id, document ORDER BY id) AS step "
        "FROM reading_history) GROUP BY 1, 2"
    )


async def activity(conn: aiosqlite.Connection, user_id: str) -> list[Bucket]:
    """Every quarter hour the account read in, oldest first."""
    rows = await fetchall(
        conn,
        "SELECT bucket, seconds, gain, updates FROM reading_activity WHERE user_id = ? ORDER BY bucket",
        (user_id,),
    )
    return [Bucket(row[0], row[1], row[2], row[3]) for row in rows]


async def finishes(conn: aiosqlite.Connection, user_id: str) -> list[tuple[int, int | None]]:
    """(finished_at, started_at) of every finish the account recorded, re-reads included."""
    rows = await fetchall(
        conn, "SELECT finished_at, started_at FROM reading_finishes WHERE user_id = ? ORDER BY finished_at", (user_id,)
    )
    return [(row[0], row[1]) for row in rows]


async def genre_distribution(conn: aiosqlite.Connection, user_id: str, active_since: int) -> list[tuple[str, int]]:
    """Genres of books finished or in progress (reading or paused), most frequent first."""
    rows = await fetchall(
        conn,
        # CROSS JOIN fixes the join order: start from the few books with reading state, never from every book.
        f"SELECT g.name, count(*) AS n FROM reading_state rs CROSS JOIN books b ON b.id = rs.book_id "
        f"CROSS JOIN book_genres bg ON bg.book_num = b.num JOIN genres g ON g.id = bg.genre_id "
        f"WHERE rs.user_id = :user AND ({STATUS_SQL}) IN ('finished', 'reading', 'paused') "
        f"GROUP BY g.id ORDER BY n DESC, g.name",
        {"active_since": active_since, "user": user_id},
    )
    return [(row[0], row[1]) for row in rows]


async def library_version(conn: aiosqlite.Connection) -> int:
    """The counter triggers bump on any write a library listing or total shows (0003_search.sql)."""
    row = await fetchone(conn, "SELECT library_version FROM search_state WHERE id = 1")
    return int(row[0]) if row else 0


async def library_totals(conn: aiosqlite.Connection) -> dict[str, object]:
    """Organized books, their distinct authors and series, files, bytes and files per format."""
    books = await fetchone(conn, "SELECT count(*) FROM books WHERE status = 'organized'")
    authors = await fetchone(
        conn,
        "SELECT count(DISTINCT ba.author_id) FROM book_authors ba JOIN books b ON b.num = ba.book_num "
        "WHERE b.status = 'organized'",
    )
    series = await fetchone(
        conn,
        "SELECT count(DISTINCT bs.series_id) FROM book_series bs JOIN books b ON b.num = bs.book_num "
        "WHERE b.status = 'organized'",
    )
    formats = await fetchall(
        conn,
        "SELECT f.format, count(*), coalesce(sum(f.size), 0) FROM files f JOIN books b ON b.id = f.book_id "
        "WHERE b.status = 'organized' GROUP BY f.format ORDER BY count(*) DESC, f.format",
    )
    return {
        "books": books[0] if books else 0,
        "authors": authors[0] if authors else 0,
        "series": series[0] if series else 0,
        "files": sum(row[1] for row in formats),
        "bytes": sum(row[2] for row in formats),
        "byFormat": {row[0]: row[1] for row in formats},
    }


async def status_counts(conn: aiosqlite.Connection) -> dict[str, int]:
    """Books per lifecycle status (processing, review, organized, failed)."""
    rows = await fetchall(conn, "SELECT status, count(*) FROM books GROUP BY status")
    return {row[0]: row[1] for row in rows}
