"""SQL for the api_keys table."""

from __future__ import annotations

import sqlite3

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.models import ApiKey


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(id=row["id"], label=row["label"], created_at=row["created_at"], last_used_at=row["last_used_at"])


async def count(conn: aiosqlite.Connection, user_id: str | None = None) -> int:
    """Keys of one account, or of every account when ``user_id`` is None."""
    if user_id is None:
        row = await fetchone(conn, "SELECT count(*) FROM api_keys")
    else:
        row = await fetchone(conn, "SELECT count(*) FROM api_keys WHERE user_id = ?", (user_id,))
    return int(row[0]) if row else 0


async def insert(
    conn: aiosqlite.Connection, key_id: str, user_id: str, label: str, key_hash: str, created_at: str
) -> None:
    await conn.execute(
        "INSERT INTO api_keys (id, user_id, label, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (key_id, user_id, label, key_hash, created_at),
    )


async def list_all(conn: aiosqlite.Connection, user_id: str) -> list[ApiKey]:
    rows = await fetchall(
        conn,
        "SELECT id, label, created_at, last_used_at FROM api_keys WHERE user_id = ? ORDER BY created_at, id",
        (user_id,),
    )
    return [_key(row) for row in rows]


async def get(conn: aiosqlite.Connection, key_id: str, user_id: str | None = None) -> ApiKey | None:
    """A key; with ``user_id``, only if it is that account's (another's key is not found)."""
    row = await fetchone(
        conn,
        "SELECT id, label, created_at, last_used_at FROM api_keys WHERE id = ? AND (? IS NULL OR user_id = ?)",
        (key_id, user_id, user_id),
    )
    return _key(row) if row else None


async def find_by_hash(conn: aiosqlite.Connection, key_hash: str) -> tuple[str, str] | None:
    """(key id, account id) of the key with this hash."""
    row = await fetchone(conn, "SELECT id, user_id FROM api_keys WHERE key_hash = ?", (key_hash,))
    return (row["id"], row["user_id"]) if row else None


async def delete(conn: aiosqlite.Connection, key_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
    return cursor.rowcount > 0


async def touch(conn: aiosqlite.Connection, used: dict[str, str]) -> None:
    await conn.executemany(
        "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        [(when, key_id, when) for key_id, when in used.items()],
    )
