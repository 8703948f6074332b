"""SQL for inbox summaries: counts by status and the books currently in a pipeline stage."""

from __future__ import annotations

import aiosqlite

from bookshelf.db.connection import fetchall


async def count_by_status(conn: aiosqlite.Connection, statuses: tuple[str, ...]) -> dict[str, int]:
    marks = ",".join("?" * len(statuses))
    rows = await fetchall(
        conn, f"SELECT status, count(*) FROM books WHERE status IN ({marks}) GROUP BY status", statuses
    )
    counts = dict.fromkeys(statuses, 0)
    for row in rows:
        counts[row[0]] = int(row[1])
    return counts


async def stages(conn: aiosqlite.Connection) -> dict[str, str]:
    rows = await fetchall(conn, "SELECT id, stage FROM books WHERE stage IS NOT NULL ORDER BY created_at, num")
    return {row[0]: row[1] for row in rows}
