"""SQL for file names: the case-insensitive key of a file's path and its unique ASCII download name."""

from __future__ import annotations

import sqlite3

import aiosqlite

from bookshelf.db.connection import fetchone


async def ascii_name(conn: aiosqlite.Connection, file_id: str) -> str | None:
    row = await fetchone(conn, "SELECT ascii_name FROM files WHERE id = ?", (file_id,))
    return row["ascii_name"] if row else None


async def claim_ascii_name(conn: aiosqlite.Connection, file_id: str, name: str) -> bool:
    """Give the file this download name; False when another file has it (in any letter case)."""
    try:
        await conn.execute("UPDATE files SET ascii_name = ? WHERE id = ?", (name, file_id))
    except sqlite3.IntegrityError:
        return False
    return True


async def claim_first_ascii_name(conn: aiosqlite.Connection, file_id: str, options: list[str]) -> str | None:
    """The file's download name: the one it has, else the first of ``options`` no other file holds."""
    known = await ascii_name(conn, file_id)
    if known:
        return known
    for option in options:
        if await claim_ascii_name(conn, file_id, option):
            return option
    return None
