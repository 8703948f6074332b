"""SQL for the trash: deleted books' snapshots and where their files went."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite


async def insert(
    conn: aiosqlite.Connection, trash_id: str, book_id: str, title: str, book: dict[str, Any],
    files: list[dict[str, Any]], now: str,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO trash (id, book_id, title, book, files, deleted_at) VALUES (?, ?, ?, ?, ?, ?)",
        (trash_id, book_id, title, json.dumps(book, ensure_ascii=False), json.dumps(files, ensure_ascii=False), now),
    )
