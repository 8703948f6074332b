"""SQL for the credentials table."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchone


@dataclass(frozen=True)
class CredentialRow:
    service: str
    username: str | None
    secret: bytes
    created_at: str
    updated_at: str


async def get(conn: aiosqlite.Connection, service: str) -> CredentialRow | None:
    row = await fetchone(conn, "SELECT * FROM credentials WHERE service = ?", (service,))
    if row is None:
        return None
    return CredentialRow(row["service"], row["username"], bytes(row["secret"]), row["created_at"], row["updated_at"])


async def upsert(conn: aiosqlite.Connection, service: str, username: str | None, secret: bytes, now: str) -> None:
    await conn.execute(
        "INSERT INTO credentials (service, username, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (service) DO UPDATE SET username = excluded.username, secret = excluded.secret, "
        "updated_at = excluded.updated_at",
        (service, username, secret, now, now),
    )


async def delete(conn: aiosqlite.Connection, service: str) -> bool:
    cursor = await conn.execute("DELETE FROM credentials WHERE service = ?", (service,))
    return cursor.rowcount > 0
