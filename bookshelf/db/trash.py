"""SQL for the trash: deleted books' snapshots (every row that belonged to them) and where their files went."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone

# Rows that belong to a book and come back with it, keyed by book_id (files and hashes are kept per file).
BOOK_TABLES = ("candidates", "document_links", "reading_state", "reading_finishes", "hardcover_links",
               "hardcover_sync_state", "metadata_lookups")  # fmt: skip


@dataclass
class TrashEntry:
    id: str
    book_id: str
    title: str
    book: dict[str, Any]
    files: list[dict[str, Any]]
    deleted_at: str
    kind: str = "book"
    state: str = "trashed"


def _entry(row: sqlite3.Row) -> TrashEntry:
    return TrashEntry(
        id=row["id"], book_id=row["book_id"], title=row["title"], book=json.loads(row["book"]),
        files=json.loads(row["files"]), deleted_at=row["deleted_at"], kind=row["kind"], state=row["state"],
    )  # fmt: skip


async def insert(
    conn: aiosqlite.Connection, trash_id: str, book_id: str, title: str, book: dict[str, Any],
    files: list[dict[str, Any]], now: str, kind: str = "book",
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO trash (id, book_id, title, book, files, deleted_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (trash_id, book_id, title, json.dumps(book, ensure_ascii=False), json.dumps(files, ensure_ascii=False),
         now, kind),
    )  # fmt: skip


async def get(conn: aiosqlite.Connection, trash_id: str) -> TrashEntry | None:
    row = await fetchone(conn, "SELECT * FROM trash WHERE id = ?", (trash_id,))
    return _entry(row) if row else None


async def page(conn: aiosqlite.Connection, limit: int, offset: int) -> tuple[list[TrashEntry], int]:
    rows = await fetchall(conn, "SELECT * FROM trash ORDER BY deleted_at DESC, id LIMIT ? OFFSET ?", (limit, offset))
    total = await fetchone(conn, "SELECT count(*) FROM trash")
    return [_entry(row) for row in rows], int(total[0]) if total else 0


async def ids(conn: aiosqlite.Connection, deleted_before: str | None = None) -> list[str]:
    if deleted_before is None:
        rows = await fetchall(conn, "SELECT id FROM trash ORDER BY deleted_at")
    else:
        rows = await fetchall(conn, "SELECT id FROM trash WHERE deleted_at < ? ORDER BY deleted_at", (deleted_before,))
    return [row["id"] for row in rows]


async def restoring(conn: aiosqlite.Connection) -> list[str]:
    return [row["id"] for row in await fetchall(conn, "SELECT id FROM trash WHERE state = 'restoring'")]


async def set_restoring(conn: aiosqlite.Connection, trash_id: str, files: list[dict[str, Any]]) -> None:
    """Record where each file is going back to, before any of them moves."""
    await conn.execute(
        "UPDATE trash SET state = 'restoring', files = ? WHERE id = ?",
        (json.dumps(files, ensure_ascii=False), trash_id),
    )


async def delete(conn: aiosqlite.Connection, trash_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM trash WHERE id = ?", (trash_id,))
    return cursor.rowcount > 0


# -- snapshots of the rows a book or file owns -----------------------------------------


async def rows_of(conn: aiosqlite.Connection, table: str, column: str, value: str) -> list[dict[str, Any]]:
    rows = await fetchall(conn, f"SELECT * FROM {table} WHERE {column} = ?", (value,))  # names are ours
    return [dict(row) for row in rows]


async def book_snapshot(conn: aiosqlite.Connection, book_id: str) -> dict[str, list[dict[str, Any]]]:
    """The book row (without its rowid) and every row of BOOK_TABLES that names it."""
    found = {"books": [{k: v for k, v in row.items() if k != "num"} for row in await rows_of(conn, "books", "id",
                                                                                            book_id)]}  # fmt: skip
    for table in BOOK_TABLES:
        found[table] = await rows_of(conn, table, "book_id", book_id)
    return found


async def columns(conn: aiosqlite.Connection, table: str) -> set[str]:
    return {row["name"] for row in await fetchall(conn, f"PRAGMA table_info({table})")}


async def put_rows(conn: aiosqlite.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert snapshot rows back, with the columns the table has now (a later migration may add some).
    A row that exists again meanwhile (a re-linked document) is left as it is."""
    if not rows:
        return
    have = await columns(conn, table)
    if "user_id" in have:
        rows = await _owned(conn, rows)
    for row in rows:
        names = [name for name in row if name in have]
        marks = ", ".join("?" * len(names))
        await conn.execute(
            f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) VALUES ({marks})", [row[n] for n in names]
        )


async def _owned(conn: aiosqlite.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-account rows that still have an account: a snapshot from before accounts is the first
    admin's (as migration 0012 decided), and rows of an account deleted meanwhile stay deleted."""
    users = {row[0] for row in await fetchall(conn, "SELECT id FROM users")}
    first = await fetchone(conn, "SELECT id FROM users WHERE role = 'admin' ORDER BY created_at, rowid LIMIT 1")
    kept = []
    for row in rows:
        owner = row.get("user_id") or (first[0] if first else None)
        if owner in users:
            kept.append({**row, "user_id": owner})
    return kept
