"""SQL for the file-move journal (file_moves) and the embedded-metadata fingerprint of files."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.folding import name_key


@dataclass
class Move:
    """One planned placement of a file; written durably before anything on disk changes."""

    file_id: str
    book_id: str
    src_root: str
    src_path: str
    dst_root: str
    dst_path: str
    dst_sha256: str  # what the destination must hold when the move is complete
    staged_path: str | None = None  # a rewritten copy (absolute path) placed instead of src
    state: str = "planned"
    created_at: str = ""
    id: int | None = None
    error: str | None = None


def _move(row: sqlite3.Row) -> Move:
    return Move(
        id=row["id"], file_id=row["file_id"], book_id=row["book_id"], src_root=row["src_root"],
        src_path=row["src_path"], dst_root=row["dst_root"], dst_path=row["dst_path"],
        dst_sha256=row["dst_sha256"] or "", staged_path=row["staged_path"], state=row["state"],
        created_at=row["created_at"], error=row["error"],
    )  # fmt: skip


async def plan(conn: aiosqlite.Connection, move: Move) -> int:
    cursor = await conn.execute(
        "INSERT INTO file_moves (file_id, book_id, src_root, src_path, dst_root, dst_path, dst_sha256, "
        "staged_path, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?)",
        (move.file_id, move.book_id, move.src_root, move.src_path, move.dst_root, move.dst_path,
         move.dst_sha256, move.staged_path, move.created_at),
    )  # fmt: skip
    move.id = int(cursor.lastrowid or 0)
    return move.id


async def finish(conn: aiosqlite.Connection, move_id: int, state: str, now: str, error: str | None = None) -> None:
    await conn.execute(
        "UPDATE file_moves SET state = ?, finished_at = ?, error = ? WHERE id = ?", (state, now, error, move_id)
    )


async def planned(conn: aiosqlite.Connection) -> list[Move]:
    rows = await fetchall(conn, "SELECT * FROM file_moves WHERE state = 'planned' ORDER BY id")
    return [_move(row) for row in rows]


async def for_file(conn: aiosqlite.Connection, file_id: str) -> list[Move]:
    rows = await fetchall(conn, "SELECT * FROM file_moves WHERE file_id = ? ORDER BY id", (file_id,))
    return [_move(row) for row in rows]


async def embedded(conn: aiosqlite.Connection, file_id: str) -> str | None:
    row = await fetchone(conn, "SELECT embedded FROM files WHERE id = ?", (file_id,))
    return row["embedded"] if row else None


async def embedded_many(conn: aiosqlite.Connection, file_ids: list[str]) -> dict[str, str | None]:
    if not file_ids:
        return {}
    marks = ",".join("?" * len(file_ids))
    rows = await fetchall(conn, f"SELECT id, embedded FROM files WHERE id IN ({marks})", tuple(file_ids))
    return {row["id"]: row["embedded"] for row in rows}


async def set_embedded(conn: aiosqlite.Connection, file_id: str, fingerprint: str | None) -> None:
    await conn.execute("UPDATE files SET embedded = ? WHERE id = ?", (fingerprint, file_id))


async def paths_taken(conn: aiosqlite.Connection, root: str, paths: list[str]) -> dict[str, str]:
    """Which of ``paths`` under ``root`` a file row already claims, exactly or as a case or
    normalisation variant (the same file on a case-insensitive disk): path -> file id."""
    if not paths:
        return {}
    keys = {name_key(path): path for path in paths}
    marks = ",".join("?" * len(keys))
    rows = await fetchall(conn, f"SELECT name_key, id FROM files WHERE root = ? AND name_key IN ({marks})",
                          (root, *keys))  # fmt: skip
    # Rows from before the key existed fold ASCII only: their exact paths still count.
    exact_marks = ",".join("?" * len(paths))
    exact = await fetchall(conn, f"SELECT path, id FROM files WHERE root = ? AND path IN ({exact_marks})",
                           (root, *paths))  # fmt: skip
    taken = {keys[row["name_key"]]: row["id"] for row in rows}
    taken.update({row["path"]: row["id"] for row in exact})
    return taken
