"""SQL for the jobs table: what every queued task is doing, for /api/jobs and retries."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bookshelf import clock
from bookshelf.db.connection import fetchall, fetchone

QUEUES = ("parse", "metadata", "organize", "hardcover", "maintenance", "send")
STATES = ("waiting", "active", "completed", "failed", "delayed", "paused")


@dataclass
class Job:
    id: str
    queue: str
    task: str
    book_id: str | None
    args: dict[str, Any]
    state: str
    attempts: int
    error: str | None
    progress: float | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    failed_at: str | None

    @classmethod
    def new(cls, queue: str, task: str, book_id: str | None = None, args: dict[str, Any] | None = None,
            state: str = "waiting", job_id: str | None = None) -> Job:  # fmt: skip
        """A job row about to be inserted: timestamps now, no attempts unless it starts active."""
        import uuid

        now = clock.now_iso()
        active = state == "active"
        return cls(
            id=job_id or str(uuid.uuid4()), queue=queue, task=task, book_id=book_id, args=args or {}, state=state,
            attempts=1 if active else 0, error=None, progress=None, created_at=now, updated_at=now,
            started_at=now if active else None, finished_at=None, failed_at=None,
        )  # fmt: skip

    def failed_json(self) -> dict[str, Any]:
        return {"id": self.id, "queue": self.queue, "task": self.task, "bookId": self.book_id,
                "error": self.error, "attempts": self.attempts, "createdAt": self.created_at,
                "failedAt": self.failed_at}  # fmt: skip


def _job(row: sqlite3.Row) -> Job:
    values = dict(row)
    values["args"] = json.loads(values["args"] or "{}")
    return Job(**values)


job_from_row = _job  # for SQL elsewhere that reads jobs rows (the send history of a book)


async def insert(conn: aiosqlite.Connection, job: Job) -> None:
    await conn.execute(
        "INSERT INTO jobs (id, queue, task, book_id, args, state, attempts, error, progress, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job.id, job.queue, job.task, job.book_id, json.dumps(job.args), job.state, job.attempts, job.error,
         job.progress, job.created_at, job.updated_at),
    )  # fmt: skip


async def get(conn: aiosqlite.Connection, job_id: str) -> Job | None:
    row = await fetchone(conn, "SELECT * FROM jobs WHERE id = ?", (job_id,))
    return _job(row) if row else None


async def update(conn: aiosqlite.Connection, job_id: str, **fields: Any) -> None:
    if "args" in fields:
        fields["args"] = json.dumps(fields["args"])
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    await conn.execute(f"UPDATE jobs SET {assignments} WHERE id = :id", {**fields, "id": job_id})


async def mark_executing(conn: aiosqlite.Connection, job_id: str, now: str) -> None:
    """A worker started the job: one more attempt."""
    await conn.execute(
        "UPDATE jobs SET state = 'active', attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ?",
        (now, now, job_id),
    )


async def counts(conn: aiosqlite.Connection) -> dict[str, dict[str, int]]:
    rows = await fetchall(conn, "SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state")
    result = {queue: dict.fromkeys(STATES, 0) for queue in QUEUES}
    for row in rows:
        result[row["queue"]][row["state"]] = row["n"]
    return result


async def failed(conn: aiosqlite.Connection, limit: int) -> tuple[list[Job], int]:
    rows = await fetchall(conn, "SELECT * FROM jobs WHERE state = 'failed' ORDER BY failed_at DESC LIMIT ?", (limit,))
    total = await fetchone(conn, "SELECT count(*) FROM jobs WHERE state = 'failed'")
    return [_job(row) for row in rows], int(total[0]) if total else 0


async def unfinished(conn: aiosqlite.Connection) -> list[Job]:
    rows = await fetchall(
        conn, "SELECT * FROM jobs WHERE state IN ('waiting', 'active', 'delayed') ORDER BY created_at"
    )
    return [_job(row) for row in rows]


async def for_book(conn: aiosqlite.Connection, book_id: str) -> list[Job]:
    rows = await fetchall(conn, "SELECT * FROM jobs WHERE book_id = ? ORDER BY created_at", (book_id,))
    return [_job(row) for row in rows]


async def open_for(conn: aiosqlite.Connection, task: str, book_id: str | None) -> Job | None:
    """The job of this task for this book that has not finished yet, if any (so work is never doubled)."""
    row = await fetchone(
        conn,
        "SELECT * FROM jobs WHERE task = ? AND book_id IS ? AND state IN ('waiting', 'active', 'delayed') "
        "ORDER BY created_at DESC LIMIT 1",
        (task, book_id),
    )
    return _job(row) if row else None


async def failed_for(conn: aiosqlite.Connection, book_id: str) -> list[Job]:
    rows = await fetchall(
        conn, "SELECT * FROM jobs WHERE book_id = ? AND state = 'failed' ORDER BY created_at", (book_id,)
    )
    return [_job(row) for row in rows]


async def delete_for_book(conn: aiosqlite.Connection, book_id: str) -> list[str]:
    """Forget a deleted book's jobs; returns the ids of those still queued (to revoke)."""
    rows = await fetchall(
        conn, "SELECT id FROM jobs WHERE book_id = ? AND state IN ('waiting', 'active', 'delayed')", (book_id,)
    )
    await conn.execute("DELETE FROM jobs WHERE book_id = ?", (book_id,))
    return [row[0] for row in rows]
