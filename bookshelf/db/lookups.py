"""SQL for metadata lookups: the provider answer cache and each book's last lookup notes."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchone


async def cached(conn: aiosqlite.Connection, provider: str, query: str, not_before: str) -> Any | None:
    """The cached answer for (provider, query) fetched at or after ``not_before``, else None."""
    row = await fetchone(
        conn,
        "SELECT response FROM provider_cache WHERE provider = ? AND query = ? AND fetched_at >= ?",
        (provider, query, not_before),
    )
    return json.loads(row["response"]) if row else None


async def store(conn: aiosqlite.Connection, provider: str, query: str, response: Any, now: str) -> None:
    await conn.execute(
        "INSERT INTO provider_cache (provider, query, response, fetched_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (provider, query) DO UPDATE SET response = excluded.response, fetched_at = excluded.fetched_at",
        (provider, query, json.dumps(response, ensure_ascii=False), now),
    )


async def prune(conn: aiosqlite.Connection, older_than: str) -> None:
    await conn.execute("DELETE FROM provider_cache WHERE fetched_at < ?", (older_than,))


async def save_notes(conn: aiosqlite.Connection, book_id: str, notes: list[dict[str, Any]], now: str) -> None:
    await conn.execute(
        "INSERT INTO metadata_lookups (book_id, fetched_at, notes) VALUES (?, ?, ?) "
        "ON CONFLICT (book_id) DO UPDATE SET fetched_at = excluded.fetched_at, notes = excluded.notes",
        (book_id, now, json.dumps(notes, ensure_ascii=False)),
    )


async def notes(conn: aiosqlite.Connection, book_id: str) -> dict[str, Any] | None:
    row = await fetchone(conn, "SELECT fetched_at, notes FROM metadata_lookups WHERE book_id = ?", (book_id,))
    if row is None:
        return None
    return {"fetchedAt": row["fetched_at"], "notes": json.loads(row["notes"])}
