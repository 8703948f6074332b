"""SQL for the preferences table (run-time settings as JSON values)."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall


async def load(conn: aiosqlite.Connection) -> dict[str, Any]:
    rows = await fetchall(conn, "SELECT key, value FROM preferences")
    return {row["key"]: json.loads(row["value"]) for row in rows}


async def save(conn: aiosqlite.Connection, values: dict[str, Any]) -> None:
    await conn.executemany(
        "INSERT INTO preferences (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(key, json.dumps(value)) for key, value in values.items()],
    )
