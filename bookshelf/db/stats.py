"""SQL for statistics: reading activity from the history, finishes, genres, and library totals."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.db.reading import STATUS_SQL

BUCKET_SECONDS = 900  # every time zone in use is a whole number of quarter hours from UTC
SESSION_GAP_SECONDS = 600


@dataclass(frozen=True)
class Bucket:
    """Reading in one quarter hour: estimated seconds, fraction of books read, number of writes."""

    start: int
    seconds: int
    read: float
    updates: int


async def activity(conn: aiosqlite.Connection, since: int) -> list[Bucket]:
    """Reading per quarter hour from ``since`` on (see docs/reading-stats.md).

    A gap under 10 minutes between consecutive writes of one device is reading
    time, credited to the later write; a percentage gain over the document's
    previous write (from any device) is reading progress, losses count zero.
    """
    rows = await fetchall(
        conn,
        f"SELECT t / {BUCKET_SECONDS} * {BUCKET_SECONDS} AS bucket, "
        f"sum(CASE WHEN gap < {SESSION_GAP_SECONDS} THEN gap ELSE 0 END), "
        "sum(max(coalesce(step, 0), 0)), count(*) FROM ("
        "SELECT timestamp AS t, "
        "timestamp - lag(timestamp) OVER (PARTITION BY device_id ORDER BY timestamp, id) AS gap, "
        "percentage - lag(percentage) OVER (PARTITION BY document ORDER BY timestamp, id) AS step "
        "FROM reading_history WHERE timestamp >= ?) GROUP BY bucket",
        (since,),
    )
    return [Bucket(row[0], int(row[1] or 0), float(row[2] or 0), row[3]) for row in rows]


async def finishes(conn: aiosqlite.Connection) -> list[tuple[int, int | None]]:
    """(finished_at, started_at) of every recorded finish, re-reads included."""
    rows = await fetchall(conn, "SELECT finished_at, started_at FROM reading_finishes ORDER BY finished_at")
    return [(row[0], row[1]) for row in rows]


async def genre_distribution(conn: aiosqlite.Connection, active_since: int) -> list[tuple[str, int]]:
    """Genres of books finished or in progress (reading or paused), most frequent first."""
    rows = await fetchall(
        conn,
        f"SELECT g.name, count(*) AS n FROM reading_state rs JOIN books b ON b.id = rs.book_id "
        f"JOIN book_genres bg ON bg.book_num = b.num JOIN genres g ON g.id = bg.genre_id "
        f"WHERE ({STATUS_SQL}) IN ('finished', 'reading', 'paused') GROUP BY g.id ORDER BY n DESC, g.name",
        {"active_since": active_since},
    )
    return [(row[0], row[1]) for row in rows]


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
