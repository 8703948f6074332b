"""SQL for checking a data folder (`bookshelf doctor`) and for backups: integrity, the rows to compare
with the disk, interrupted moves, stuck jobs, and a consistent copy of the database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

BACKUP_TABLES = ("books", "files", "progress", "reading_history", "credentials", "api_keys")


def integrity(conn: sqlite3.Connection) -> list[str]:
    """SQLite's integrity check: ``["ok"]`` or the problems it found."""
    return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def check_search_index(conn: sqlite3.Connection) -> None:
    """FTS5's own check of the index's structure; raises sqlite3.DatabaseError when damaged."""
    conn.execute("INSERT INTO books_fts(books_fts, rank) VALUES ('integrity-check', 1)")


def file_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, book_id, root, path, size, sha256 FROM files").fetchall()


def file_locations(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return {(row[0], row[1]) for row in conn.execute("SELECT root, path FROM files")}


def planned_moves(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, src_path, dst_path FROM file_moves WHERE state = 'planned'").fetchall()


def stuck_jobs(conn: sqlite3.Connection, cutoff: str) -> list[sqlite3.Row]:
    """Jobs still active though not updated since ``cutoff``."""
    sql = "SELECT id, queue, task FROM jobs WHERE state = 'active' AND updated_at < ?"
    return conn.execute(sql, (cutoff,)).fetchall()


def requeue_stuck(conn: sqlite3.Connection, cutoff: str) -> None:
    conn.execute("UPDATE jobs SET state = 'waiting' WHERE state = 'active' AND updated_at < ?", (cutoff,))


def job_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])


# -- backups: plain connections to a file, not the server's ------------------------------------


def snapshot(source: Path, target: Path) -> None:
    """A consistent copy while the server runs, through SQLite's online backup API."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def table_counts(db: Path) -> dict[str, int]:
    """Rows in the tables a backup's manifest reports."""
    conn = sqlite3.connect(db)
    try:
        return {table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in BACKUP_TABLES}
    finally:
        conn.close()


def file_integrity(db: Path) -> str:
    """``"ok"``, or the first problem SQLite's integrity check finds in the file ``db``."""
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
