"""SQL for metadata candidates: what the file and each provider say about a book."""

from __future__ import annotations

import json
import sqlite3

import aiosqlite

from bookshelf.db.connection import fetchall
from bookshelf.models import Candidate


def _candidate(row: sqlite3.Row) -> Candidate:
    return Candidate(
        id=row["id"], book_id=row["book_id"], source=row["source"], source_id=row["source_id"],
        score=row["score"], data=json.loads(row["data"] or "{}"), fetched_at=row["fetched_at"],
        cover_path=row["cover_path"],
    )  # fmt: skip


async def insert(conn: aiosqlite.Connection, candidate: Candidate) -> None:
    await conn.execute(
        "INSERT INTO candidates (id, book_id, source, source_id, score, data, cover_path, fetched_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (candidate.id, candidate.book_id, candidate.source, candidate.source_id, candidate.score,
         json.dumps(candidate.data, ensure_ascii=False), candidate.cover_path, candidate.fetched_at),
    )  # fmt: skip


async def for_book(conn: aiosqlite.Connection, book_id: str) -> list[Candidate]:
    rows = await fetchall(
        conn,
        "SELECT * FROM candidates WHERE book_id = ? ORDER BY source = 'file' DESC, score DESC, fetched_at, id",
        (book_id,),
    )
    return [_candidate(row) for row in rows]


async def delete_source(conn: aiosqlite.Connection, book_id: str, source: str) -> None:
    await conn.execute("DELETE FROM candidates WHERE book_id = ? AND source = ?", (book_id, source))


async def delete_remote(conn: aiosqlite.Connection, book_id: str) -> None:
    """Every candidate but the file's own (rescan and refetch start these again)."""
    await conn.execute("DELETE FROM candidates WHERE book_id = ? AND source <> 'file'", (book_id,))


async def get(conn: aiosqlite.Connection, candidate_id: str) -> Candidate | None:
    rows = await fetchall(conn, "SELECT * FROM candidates WHERE id = ?", (candidate_id,))
    return _candidate(rows[0]) if rows else None


async def set_cover_path(conn: aiosqlite.Connection, candidate_id: str, cover_path: str) -> None:
    await conn.execute("UPDATE candidates SET cover_path = ? WHERE id = ?", (cover_path, candidate_id))


async def move_to_book(conn: aiosqlite.Connection, from_book: str, to_book: str) -> None:
    """Merging a duplicate: its candidates are of no use to the surviving book."""
    await conn.execute("DELETE FROM candidates WHERE book_id = ?", (from_book,))
