"""SQL for KOReader progress: each account's latest position per (document, device) and the history of every write.

"Latest" is commit order: each write takes the next ``seq`` inside the one
write transaction, so two writes in the same clock second are still ordered.

Writes take a plain sqlite3 connection: they run inside ``Database.write(work)``,
one trip to the writer thread per batch of KOReader writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
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


def save(conn: sqlite3.Connection, user_id: str, update: Progress) -> None:
    """Upsert the device's position and append the write to the history.

    Metadata is kept from an earlier write when this one carries none, so a
    document stays matchable and listable by what KOReader once told us.
    """
    metadata = json.dumps(update.metadata, ensure_ascii=False) if update.metadata else None
    conn.execute(
        "INSERT INTO progress (user_id, document, device_id, device, percentage, progress, timestamp, metadata, "
        "has_device_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM progress)) "
        "ON CONFLICT (user_id, document, device_id) DO UPDATE SET device = excluded.device, "
        "percentage = excluded.percentage, progress = excluded.progress, timestamp = excluded.timestamp, "
        "metadata = coalesce(excluded.metadata, progress.metadata), has_device_id = excluded.has_device_id, "
        "seq = excluded.seq",
        (user_id, update.document, update.device_key, update.device, update.percentage, update.progress,
         update.timestamp, metadata, update.device_id is not None),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO reading_history (user_id, document, device_id, device, percentage, progress, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, update.document, update.device_key, update.device, update.percentage, update.progress,
         update.timestamp),
    )  # fmt: skip


def latest(conn: sqlite3.Connection, user_id: str, document: str) -> Progress | None:
    """The account's last committed write for a document across devices (latest wins, even if behind)."""
    row = conn.execute(
        "SELECT * FROM progress WHERE user_id = ? AND document = ? ORDER BY seq DESC LIMIT 1", (user_id, document)
    ).fetchone()
    return row_to_progress(row) if row else None


# The book a document id belongs to (any hash any of its files ever had, or the account's
# link), then every document id of that book: what "latest" is taken over. CROSS JOIN
# fixes the join order (the book's files by book id, then their hashes by file id):
# left to the planner, it scans every hash of the library's kind for each request.
_BOOK_LATEST_SQL = (
    "WITH book AS (SELECT f.book_id FROM file_hashes h JOIN files f ON f.id = h.file_id "
    "WHERE h.value = :doc AND h.kind IN ('koreader', 'filename') "
    "UNION SELECT book_id FROM document_links WHERE user_id = :user AND document = :doc), "
    "docs AS (SELECT :doc AS document "
    "UNION ALL SELECT h.value FROM book CROSS JOIN files f ON f.book_id = book.book_id "
    "CROSS JOIN file_hashes h ON h.file_id = f.id WHERE h.kind IN ('koreader', 'filename') "
    "UNION ALL SELECT l.document FROM book CROSS JOIN document_links l "
    "ON l.user_id = :user AND l.book_id = book.book_id) "
    "SELECT * FROM progress WHERE user_id = :user AND document IN (SELECT document FROM docs) "
    "ORDER BY seq DESC LIMIT 1"
)


def latest_for_book_of(conn: sqlite3.Connection, user_id: str, document: str) -> Progress | None:
    """The account's last committed write over every document id of the book ``document`` belongs to
    (only ``document`` itself when it belongs to no known book)."""
    row = conn.execute(_BOOK_LATEST_SQL, {"doc": document, "user": user_id}).fetchone()
    return row_to_progress(row) if row else None


async def for_documents(conn: aiosqlite.Connection, user_id: str, documents: Sequence[str]) -> list[Progress]:
    """Every device's position for these documents, last committed first."""
    if not documents:
        return []
    rows = await fetchall(
        conn,
        "SELECT * FROM progress WHERE user_id = ? AND document IN (SELECT value FROM json_each(?)) ORDER BY seq DESC",
        (user_id, json.dumps(list(documents))),
    )
    return [row_to_progress(row) for row in rows]


async def unmatched(conn: aiosqlite.Connection, user_id: str) -> list[Progress]:
    """The account's positions of documents that no file hash and no link of theirs ties to a book, newest first."""
    rows = await fetchall(
        conn,
        "SELECT * FROM progress p WHERE p.user_id = ? AND NOT EXISTS (SELECT 1 FROM file_hashes h "
        "WHERE h.value = p.document AND h.kind IN ('koreader', 'filename')) AND NOT EXISTS "
        "(SELECT 1 FROM document_links l WHERE l.user_id = p.user_id AND l.document = p.document) "
        "ORDER BY p.seq DESC",
        (user_id,),
    )
    return [row_to_progress(row) for row in rows]


def has_document(conn: sqlite3.Connection, user_id: str, document: str) -> bool:
    found = conn.execute("SELECT 1 FROM progress WHERE user_id = ? AND document = ? LIMIT 1", (user_id, document))
    return found.fetchone() is not None


def history_of(conn: sqlite3.Connection, user_id: str, documents: Sequence[str]) -> list[tuple[float, int]]:
    """(percentage, timestamp) of every write of the account for these documents, in commit order."""
    rows = conn.execute(
        "SELECT percentage, timestamp FROM reading_history WHERE user_id = ? "
        "AND document IN (SELECT value FROM json_each(?)) ORDER BY id",
        (user_id, json.dumps(list(documents))),
    )
    return [(row[0], row[1]) for row in rows]


async def latest_of_books(conn: aiosqlite.Connection, user_id: str, book_ids: Sequence[str]) -> dict[str, Progress]:
    """Each book's last committed write of the account, over every document id of the book's files
    (and the documents the account linked to it); books never read are left out."""
    if not book_ids:
        return {}
    rows = await fetchall(
        conn,
        "WITH wanted AS (SELECT value AS book_id FROM json_each(:books)), "
        "docs AS (SELECT f.book_id, h.value AS document FROM files f JOIN file_hashes h ON h.file_id = f.id "
        "WHERE f.book_id IN (SELECT book_id FROM wanted) AND h.kind IN ('koreader', 'filename') "
        "UNION SELECT book_id, document FROM document_links WHERE user_id = :user "
        "AND book_id IN (SELECT book_id FROM wanted)) "
        "SELECT d.book_id AS book_id, p.* FROM docs d JOIN progress p ON p.user_id = :user AND p.document = d.document "
        "ORDER BY p.seq DESC",
        {"books": json.dumps(list(book_ids)), "user": user_id},
    )
    out: dict[str, Progress] = {}
    for row in rows:
        out.setdefault(row["book_id"], row_to_progress(row))
    return out


async def reading_mark(conn: aiosqlite.Connection, user_id: str) -> tuple[int, int]:
    """Moves whenever the account's positions change: (rows, last commit)."""
    row = await fetchone(conn, "SELECT count(*), coalesce(max(seq), 0) FROM progress WHERE user_id = ?", (user_id,))
    return (row[0], row[1]) if row else (0, 0)
