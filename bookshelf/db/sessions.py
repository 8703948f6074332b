"""SQL for ui_sessions: signed-in browsers, each of an account, and of the API key it signed in with if any."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchone


@dataclass(frozen=True)
class SessionRow:
    token_hash: str
    user_id: str
    key_id: str | None
    csrf: str
    created_at: str
    expires_at: str


async def insert(conn: aiosqlite.Connection, row: SessionRow) -> None:
    await conn.execute(
        "INSERT INTO ui_sessions (token_hash, user_id, key_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (row.token_hash, row.user_id, row.key_id, row.csrf, row.created_at, row.expires_at),
    )


async def get(conn: aiosqlite.Connection, token_hash: str) -> SessionRow | None:
    row = await fetchone(
        conn,
        "SELECT token_hash, user_id, key_id, csrf, created_at, expires_at FROM ui_sessions WHERE token_hash = ?",
        (token_hash,),
    )
    return SessionRow(*row) if row else None


async def delete(conn: aiosqlite.Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM ui_sessions WHERE token_hash = ?", (token_hash,))


async def delete_for_key(conn: aiosqlite.Connection, key_id: str) -> None:
    await conn.execute("DELETE FROM ui_sessions WHERE key_id = ?", (key_id,))


async def delete_expired(conn: aiosqlite.Connection, now: str) -> None:
    await conn.execute("DELETE FROM ui_sessions WHERE expires_at <= ?", (now,))
