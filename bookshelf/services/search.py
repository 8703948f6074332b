"""Search: turns what a reader typed into a safe FTS5 query and ranked book rows."""

from __future__ import annotations

import re
import sqlite3

from bookshelf.db import Database
from bookshelf.db.connection import fetchall

MAX_WORDS = 12
_WORD = re.compile(r"\w+", re.UNICODE)
# bm25 weights for title, authors, series, description.
WEIGHTS = (10.0, 6.0, 4.0, 1.0)


def words_of(query: str) -> list[str]:
    return _WORD.findall(query or "")[:MAX_WORDS]


def fts_query(words: list[str]) -> str:
    """Every word quoted (so no input is FTS syntax), the last one as a prefix."""
    if not words:
        return ""
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


class SearchService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def match(self, query: str, statuses: tuple[str, ...], limit: int = 1000) -> list[int]:
        """Book rows (num) matching ``query`` among ``statuses``, best first."""
        expression = fts_query(words_of(query))
        if not expression:
            return []
        marks = ",".join("?" * len(statuses))
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (
            f"SELECT b.num FROM books_fts f JOIN books b ON b.num = f.rowid "
            f"WHERE books_fts MATCH ? AND b.status IN ({marks}) "
            f"ORDER BY bm25(books_fts, {weights}) LIMIT ?"
        )
        async with self.db.read() as conn:
            try:
                rows = await fetchall(conn, sql, (expression, *statuses, limit))
            except sqlite3.OperationalError:
                return []
        return [row[0] for row in rows]
