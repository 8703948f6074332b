"""`bookshelf reindex`: the full-text index rebuilt from the books table, server running or not."""

from __future__ import annotations

from pathlib import Path

from bookshelf.db import search
from bookshelf.db.connection import connect_sync
from bookshelf.db.migrate import migrate


def reindex(db_path: Path) -> int:
    """Migrate, then rebuild the index in one write transaction; returns how many books it holds."""
    migrate(db_path)
    conn = connect_sync(db_path)
    try:
        return search.rebuild_all(conn)
    finally:
        conn.close()
