"""SQL for KOReader progress: the latest position per (document, device) and the history of every write.

Writes take a plain sqlite3 connection: they run inside ``Database.run_write``,
one trip to the writer thread per batch of KOReader writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

import aiosqlite

from bookshelf.db.connection import fetchall
from bookshelf.models import Progress


def row_to_progress(row: sqlite3.Row) -> Progress:
    return Progress(
        document=row["document"],
        device=row["device"],
        percentage=row["percentage"],
        progress=row["progress"],
        timestamp=row["timestamp"],
        device_id=row["device_id"] if row["has_device_id"] else None,
        metadata=json.loads(row["metadata"]) if row["metadata"] else None,
    )


def save(conn: sqlite3.Connection, update: Progress) -> None:
    """Upsert the device's position and append the write to the history.

    Metadata is kept from an earlier write when this one carries none, so a
    document stays matchable and listable by what KOReader once told us.
    """
    metadata = json.dumps(update.metadata, ensure_ascii=False) if update.metadata else None
    conn.execute(
        "INSERT INTO progress (document, device_id, device, percentage, progress, timestamp, metadata, has_device_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (document, device_id) DO UPDATE SET device = excluded.device, "
        "percentage = excluded.percentage, progress = excluded.progress, timestamp = excluded.timestamp, "
        "metadata = coalesce(excluded.metadata, progress.metadata), has_device_id = excluded.has_device_id",
        (update.document, update.device_key, update.device, update.percentage, update.progress, update.timestamp,
         metadata, update.device_id is not None),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO reading_history (document, device_id, device, percentage, progress, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (update.document, update.device_key, update.device, update.percentage, update.progress, update.timestamp),
    )


def latest(conn: sqlite3.Connection, document: str) -> Progress | None:
    """The most recent write for a document across devices (latest wins, even if behind)."""
    row = conn.execute(
        "SELECT * FROM progress WHERE document = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1", (document,)
    ).fetchone()
    return row_to_progress(row) if row else None


async def for_documents(conn: aiosqlite.Connection, documents: Sequence[str]) -> list[Progress]:
    """Every device's position for these documents, newest first."""
    if not documents:
        return []
    rows = await fetchall(
        conn,
        "SELECT * FROM progress WHERE document IN (SELECT value FROM json_each(?)) ORDER BY timestamp DESC, rowid DESC",
        (json.dumps(list(documents)),),
    )
    return [row_to_progress(row) for row in rows]


async def unmatched(conn: aiosqlite.Connection) -> list[Progress]:
    """Positions of documents that no file hash and no link ties to a book, newest first."""
    rows = await fetchall(
        conn,
        "SELECT * FROM progress p WHERE NOT EXISTS (SELECT 1 FROM file_hashes h WHERE h.value = p.document "
        "AND h.kind IN ('koreader', 'filename')) AND NOT EXISTS (SELECT 1 FROM document_links l "
        "WHERE l.document = p.document) ORDER BY p.timestamp DESC, p.rowid DESC",
    )
    return [row_to_progress(row) for row in rows]


def has_document(conn: sqlite3.Connection, document: str) -> bool:
    return conn.execute("SELECT 1 FROM progress WHERE document = ? LIMIT 1", (document,)).fetchone() is not None


def history_of(conn: sqlite3.Connection, documents: Sequence[str]) -> list[tuple[float, int]]:
    """(percentage, timestamp) of every write for these documents, oldest first."""
    rows = conn.execute(
        "SELECT percentage, timestamp FROM reading_history WHERE document IN (SELECT value FROM json_each(?)) "
        "ORDER BY timestamp, id",
        (json.dumps(list(documents)),),
    )
    return [(row[0], row[1]) for row in rows]


def latest_of(conn: sqlite3.Connection, documents: Sequence[str]) -> Progress | None:
    """The most recently committed write over several documents (one book's files, old and new)."""
    row = conn.execute(
        "SELECT p.* FROM reading_history h JOIN progress p ON p.document = h.document AND p.device_id = h.device_id "
        "WHERE h.document IN (SELECT value FROM json_each(?)) ORDER BY h.id DESC LIMIT 1",
        (json.dumps(list(documents)),),
    ).fetchone()
    return row_to_progress(row) if row else None
