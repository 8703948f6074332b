"""Counting SQLite virtual-machine steps: a query's cost in rows visited, whatever the machine's
speed or load, for tests that a query stays cheap as the library grows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def vm_steps(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], object]) -> int:
    """SQLite virtual-machine steps ``work(conn)`` takes."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    conn.set_progress_handler(tick, 1)
    try:
        work(conn)
    finally:
        conn.set_progress_handler(None, 1)
    return count
