"""Migration 0013 on a database that already has jobs: every row and column kept, `send` accepted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bookshelf.db.connection import connect_sync
from bookshelf.db.migrate import apply_pending, available


def test_jobs_survive_and_take_the_send_queue(tmp_path: Path) -> None:
    conn = connect_sync(tmp_path / "bookshelf.db")
    before = [m for m in available() if m[0] < 13]
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")  # fmt: skip
    for version, name, sql in before:
        conn.executescript(f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', 'now');COMMIT;")
    row = (
        "j1",
        "organize",
        "organize_book",
        None,
        '{"x": 1}',
        "failed",
        3,
        "disk full",
        0.5,
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:00Z",
        "2026-01-01T00:00:01Z",
        None,
        "2026-01-02T00:00:00Z",
    )
    conn.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO jobs (id, queue, task, state, created_at, updated_at) "
                     "VALUES ('j2', 'send', 't', 'waiting', 'n', 'n')")  # fmt: skip
    assert "0013_mail.sql" in apply_pending(conn)
    assert tuple(conn.execute("SELECT * FROM jobs").fetchone()) == row
    conn.execute("INSERT INTO jobs (id, queue, task, state, created_at, updated_at) "
                 "VALUES ('j2', 'send', 't', 'waiting', 'n', 'n')")  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO jobs (id, queue, task, state, created_at, updated_at) "
                     "VALUES ('j3', 'bogus', 't', 'waiting', 'n', 'n')")  # fmt: skip
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'")}
    assert {"jobs_state", "jobs_book"} <= indexes
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
