"""SQL for the kv table: small named values (as text) the server keeps between runs."""

from __future__ import annotations

import aiosqlite

from bookshelf.db.connection import fetchone


async def get(conn: aiosqlite.Connection, key: str) -> str | None:
    row = await fetchone(conn, "SELECT value FROM kv WHERE key = ?", (key,))
    return None if row is None else str(row[0])


async def put(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
