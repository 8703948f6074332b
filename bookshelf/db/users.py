"""SQL for the users table: accounts, their roles and password hashes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.models import Account

_COLUMNS = "id, username, role, can_upload, password_hash, created_at"


@dataclass(frozen=True)
class UserRow:
    account: Account
    password_hash: bytes | None
    created_at: str


def _row(row: sqlite3.Row) -> UserRow:
    account = Account(id=row["id"], username=row["username"], role=row["role"], can_upload=bool(row["can_upload"]))
    secret = row["password_hash"]
    return UserRow(account, bytes(secret) if secret is not None else None, row["created_at"])


async def get(conn: aiosqlite.Connection, user_id: str) -> UserRow | None:
    row = await fetchone(conn, f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return _row(row) if row else None


async def by_username_key(conn: aiosqlite.Connection, username_key: str) -> UserRow | None:
    row = await fetchone(conn, f"SELECT {_COLUMNS} FROM users WHERE username_key = ?", (username_key,))
    return _row(row) if row else None


async def list_all(conn: aiosqlite.Connection) -> list[UserRow]:
    rows = await fetchall(conn, f"SELECT {_COLUMNS} FROM users ORDER BY created_at, rowid")
    return [_row(row) for row in rows]


async def first_admin(conn: aiosqlite.Connection) -> UserRow | None:
    row = await fetchone(conn, f"SELECT {_COLUMNS} FROM users WHERE role = 'admin' ORDER BY created_at, rowid LIMIT 1")
    return _row(row) if row else None


async def count_admins(conn: aiosqlite.Connection) -> int:
    row = await fetchone(conn, "SELECT count(*) FROM users WHERE role = 'admin'")
    return int(row[0]) if row else 0


async def insert(
    conn: aiosqlite.Connection, account: Account, username_key: str, password_hash: bytes | None, now: str
) -> None:
    await conn.execute(
        "INSERT INTO users (id, username, username_key, role, can_upload, password_hash, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (account.id, account.username, username_key, account.role, int(account.can_upload), password_hash, now, now),
    )


async def update(
    conn: aiosqlite.Connection,
    account: Account,
    username_key: str,
    password_hash: bytes | None,
    now: str,
    set_password: bool,
) -> None:
    await conn.execute(
        "UPDATE users SET username = ?, username_key = ?, role = ?, can_upload = ?, updated_at = ?, "
        "password_hash = CASE WHEN ? THEN ? ELSE password_hash END WHERE id = ?",
        (account.username, username_key, account.role, int(account.can_upload), now, int(set_password),
         password_hash, account.id),
    )  # fmt: skip


async def delete(conn: aiosqlite.Connection, user_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
    return cursor.rowcount > 0
