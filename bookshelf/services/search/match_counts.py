"""How many books an index expression matches, remembered until the library or its index changes.

A results page needs the total, and counting a common word walks its whole
doclist (about 1 ms for 14,000 matches at 100,000 books): paging through
results, or a search box firing as it is typed into, counted the same
expressions again and again. Entries are keyed by the change counters that
triggers bump in the same transaction as any write, so a stale hit cannot happen.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from bookshelf.db import search as sql

MAX_ENTRIES = 512


class MatchCounts:
    """An LRU of counts, shared by the reader threads (hence the lock)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: sqlite3.Connection, key: Hashable, count: Callable[[], int]) -> int:
        """The count for ``key`` under the current versions, computed by ``count`` when not known."""
        versioned = (sql.versions(conn), key)
        with self._lock:
            found = self._items.get(versioned)
            if found is not None:
                self._items.move_to_end(versioned)
                return found
        value = count()
        with self._lock:
            self._items[versioned] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
