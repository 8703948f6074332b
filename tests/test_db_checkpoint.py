"""Commits never checkpoint the write-ahead log; the Database's own thread does, and stops with it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from bookshelf.db import Database, connect_sync

PAGE = 4096
ROWS = 1500  # one page each: past SQLite's 1,000-page automatic checkpoint


def wal_frames(db_path: Path) -> int:
    wal = db_path.with_name(db_path.name + "-wal")
    return max(0, wal.stat().st_size - 32) // (PAGE + 24) if wal.exists() else 0


async def fill(db: Database) -> None:
    await db.write(lambda c: c.execute("CREATE TABLE IF NOT EXISTS pages (n INTEGER, body BLOB)"))
    rows = [(n,) for n in range(100)]
    for _ in range(0, ROWS, 100):  # 15 commits, as a stream of writes makes them
        await db.write(lambda c: c.executemany("INSERT INTO pages VALUES (?, randomblob(3000))", rows))


def checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal checkpoint"]


async def test_the_databases_connections_leave_checkpoints_to_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    db = Database(path, checkpoint_interval=3600)
    await db.open()
    try:
        assert await db.read(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        assert await db.read(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0], on_loop=True) == 0
        assert await db.write(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        await fill(db)
        # No commit copied the log back (SQLite's default would have at 1,000 pages).
        assert wal_frames(path) > ROWS
        frames_before = wal_frames(path)
        own = connect_sync(path, autocheckpoint=False)
        db.checkpointer.checkpoint(own)  # what the thread does each turn
        own.close()
        assert db.checkpointer.runs == 1
        await fill(db)  # a checkpointed log is written from its start again, not grown
        assert wal_frames(path) < frames_before * 1.5  # unchecked it would hold both fills
    finally:
        await db.close()
    assert not checkpointer_threads()


async def test_the_thread_checkpoints_while_writes_go_on(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    db = Database(path, checkpoint_interval=0.05)
    await db.open()
    try:
        assert len(checkpointer_threads()) == 1
        await fill(db)
        for _ in range(100):
            if db.checkpointer.runs:
                break
            await asyncio.sleep(0.05)
        assert db.checkpointer.runs >= 1
        conn = sqlite3.connect(path)
        try:
            _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
        assert frames == copied  # nothing was left behind
    finally:
        await db.close()
    assert not checkpointer_threads()


def test_tools_without_a_database_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    conn = connect_sync(tmp_path / "b.db")
    try:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    finally:
        conn.close()
