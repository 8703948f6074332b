"""SQL for the smtp_settings table: the one outgoing mail server."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchone


@dataclass(frozen=True)
class SmtpRow:
    host: str
    port: int
    security: str
    username: str | None
    password: bytes | None  # sealed
    sender: str
    created_at: str
    updated_at: str


async def get(conn: aiosqlite.Connection) -> SmtpRow | None:
    row = await fetchone(conn, "SELECT * FROM smtp_settings WHERE id = 1")
    if row is None:
        return None
    sealed = bytes(row["password"]) if row["password"] is not None else None
    return SmtpRow(row["host"], row["port"], row["security"], row["username"], sealed, row["sender"],
                   row["created_at"], row["updated_at"])  # fmt: skip


async def upsert(conn: aiosqlite.Connection, row: SmtpRow) -> None:
    await conn.execute(
        "INSERT INTO smtp_settings (id, host, port, security, username, password, sender, created_at, updated_at) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET host = excluded.host, "
        "port = excluded.port, security = excluded.security, username = excluded.username, "
        "password = excluded.password, sender = excluded.sender, updated_at = excluded.updated_at",
        (row.host, row.port, row.security, row.username, row.password, row.sender, row.created_at, row.updated_at),
    )


async def delete(conn: aiosqlite.Connection) -> bool:
    cursor = await conn.execute("DELETE FROM smtp_settings WHERE id = 1")
    return cursor.rowcount > 0
