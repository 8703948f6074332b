"""Looking a dropped book up for a likely duplicate costs what its matches cost, however large the
library is: it runs inside every parse's write.

Without an index on ISBN-10 and with the arrival-order guard free to pick the status index, SQLite
walked every library book for each parse of a book with an ISBN (65-220 ms at 100,000 books).
Cost is counted in SQLite virtual-machine steps, which do not depend on the machine's speed.
"""

from __future__ import annotations

import sqlite3
import uuid

from bookshelf.db import books as book_rows
from bookshelf.db import duplicates
from bookshelf.db.connection import connect_sync
from bookshelf.db.inline_conn import drive
from bookshelf.models import Book
from bookshelf.runtime import Runtime
from tests.vm_steps import vm_steps

LIBRARY = 900


async def test_a_duplicate_lookup_does_not_walk_the_library(runtime: Runtime) -> None:
    async with runtime.db.write() as conn:
        for n in range(LIBRARY):
            book = Book(
                id=str(uuid.uuid4()), status="organized", title=f"Title {n}", authors=[f"Author {n}"],
                isbn13=f"978{n:010d}", isbn10=f"{n:010d}",
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
            )  # fmt: skip
            await book_rows.insert(conn, book)
    conn = connect_sync(runtime.settings.db_path)
    try:
        num = LIBRARY + 10  # a book that arrived after the whole library

        def lookup(isbns: list[str]) -> tuple[int, str | None]:
            found: list[str | None] = []

            def work(c: sqlite3.Connection) -> None:
                found.append(drive(c, lambda a: duplicates.similar_book(a, "new", num, isbns, "", "")))

            return vm_steps(conn, work), found[0]

        found = []
        for isbns in (["9780000000007"], ["0000000007"], ["9999999999999"]):
            steps, match = lookup(isbns)
            assert steps < 300, (isbns, steps)
            found.append(match)
        assert found[0] is not None and found[0] == found[1] and found[2] is None
        steps = vm_steps(
            conn,
            lambda c: drive(
                c, lambda a: duplicates.flag_later_arrivals(a, "new", 1, ["9780000000007"], "title 7", "author 7")
            ),
        )
        assert steps < 300, steps
    finally:
        conn.close()
