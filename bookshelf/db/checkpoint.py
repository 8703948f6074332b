"""WAL checkpoints on a thread of their own, off every commit's path.

SQLite's default checkpoints inside the commit that takes the write-ahead log past 1,000 pages:
that commit copies the pages into the database file and fsyncs it before it returns. Under a
stream of small writes (KOReader syncs, ingest) one commit in a few hundred paid tens of
milliseconds for everyone's pages, which was the whole of the kosync PUT p99. The connections of
a running :class:`~bookshelf.db.connection.Database` turn that off and this thread checkpoints
instead (PASSIVE: it never waits for, nor blocks, the writer or readers). Tools that open the
file without a Database keep SQLite's default.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("bookshelf.db")

INTERVAL_SECONDS = 1.0


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` every ``interval`` seconds until stopped."""

    def __init__(self, path: Path, connect: Callable[[Path], sqlite3.Connection],
                 interval: float = INTERVAL_SECONDS) -> None:  # fmt: skip
        self.path = path
        self.connect = connect
        self.interval = interval
        self.runs = 0  # checkpoints that found pages in the log (tests watch it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wal checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for a checkpoint in progress (blocking: call in a thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = self.connect(self.path)
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # a restore swapping the file, a disk error: the next turn tries again
            log.debug("WAL checkpoint skipped: %s", exc)
            return
        if copied > 0:
            self.runs += 1
