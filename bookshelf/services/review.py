"""The metadata stage of ingest. For now it only moves a parsed book to review; the provider
lookup replaces :func:`lookup_metadata` without touching the rest of the pipeline."""

from __future__ import annotations

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows


async def lookup_metadata(db: Database, book_id: str) -> None:
    """Finish the book's ingest: it waits in the inbox for the user's review."""
    async with db.write() as conn:
        book = await book_rows.get(conn, book_id, with_files=False)
        if book is None or book.status != "processing":
            return  # deleted, or already decided: running twice changes nothing
        await book_rows.set_status(conn, book_id, "review", None, clock.now_iso())
