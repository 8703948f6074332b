"""SQL for the credentials table."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone


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


# -- account_credentials: each account's own opds, kosync and hardcover -------------------------


@dataclass(frozen=True)
class AccountCredentialRow:
    user_id: str
    service: str
    username: str | None
    secret: bytes
    created_at: str
    updated_at: str


def _account_row(row: sqlite3.Row) -> AccountCredentialRow:
    return AccountCredentialRow(
        row["user_id"], row["service"], row["username"], bytes(row["secret"]), row["created_at"], row["updated_at"]
    )


async def get_for(conn: aiosqlite.Connection, user_id: str, service: str) -> AccountCredentialRow | None:
    row = await fetchone(
        conn, "SELECT * FROM account_credentials WHERE user_id = ? AND service = ?", (user_id, service)
    )
    return _account_row(row) if row else None


async def by_username(conn: aiosqlite.Connection, service: str, username: str) -> AccountCredentialRow | None:
    row = await fetchone(
        conn, "SELECT * FROM account_credentials WHERE service = ? AND username = ?", (service, username)
    )
    return _account_row(row) if row else None


async def upsert_for(
    conn: aiosqlite.Connection, user_id: str, service: str, username: str | None, secret: bytes, now: str
) -> None:
    await conn.execute(
        "INSERT INTO account_credentials (user_id, service, username, secret, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, service) DO UPDATE SET username = excluded.username, "
        "secret = excluded.secret, updated_at = excluded.updated_at",
        (user_id, service, username, secret, now, now),
    )


async def delete_for(conn: aiosqlite.Connection, user_id: str, service: str) -> bool:
    cursor = await conn.execute("DELETE FROM account_credentials WHERE user_id = ? AND service = ?", (user_id, service))
    return cursor.rowcount > 0


async def with_service(conn: aiosqlite.Connection, service: str) -> list[str]:
    """Ids of the accounts that have a credential for ``service`` (e.g. a Hardcover token)."""
    rows = await fetchall(
        conn, "SELECT user_id FROM account_credentials WHERE service = ? ORDER BY created_at", (service,)
    )
    return [row[0] for row in rows]
