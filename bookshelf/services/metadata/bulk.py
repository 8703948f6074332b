"""Bulk review: approving or deleting many books at once, book by book, with a result for each.

Books are read in batches and each one is approved (or deleted) in its own short transaction,
so 500 books never hold the writer for more than a moment at a time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.errors import BookshelfError, Conflict, NotFound
from bookshelf.models import Book, Candidate
from bookshelf.services.metadata import bookfields
from bookshelf.services.metadata.review import FILL_FIELDS, ReviewService
from bookshelf.services.trash.removal import RemovalService

log = logging.getLogger("bookshelf.bulk")
RULES = ("file_first", "candidate_first")
BATCH = 50


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def selections(book: Book, candidates: list[Candidate], rule: str) -> dict[str, str]:
    """file_first: the file's values, gaps filled from the best candidate; candidate_first: the best
    candidate's values wherever it has one. The file's own values stand where nothing better exists."""
    remote = [c for c in candidates if c.source != "file"]
    if not remote:
        return {}
    best = max(remote, key=lambda c: c.score)
    chosen = {}
    for name in FILL_FIELDS:
        if _empty(best.data.get(name)):
            continue
        if rule == "candidate_first" or _empty(bookfields.current(book, name)):
            chosen[name] = best.id
    if best.data.get("coverUrl") and (rule == "candidate_first" or not book.cover_sha256):
        chosen["cover"] = best.id
    return chosen


class BulkService:
    def __init__(self, db: Database, review: ReviewService, removal: RemovalService) -> None:
        self.db = db
        self.review = review
        self.removal = removal

    async def approve(self, book_ids: list[str], rule: str) -> list[dict[str, Any]]:
        results = []
        for start in range(0, len(book_ids), BATCH):
            batch = book_ids[start : start + BATCH]
            async with self.db.read() as conn:
                books = {b.id: b for b in await book_rows.get_many(conn, batch, with_files=False)}
                found = {book_id: await candidate_rows.for_book(conn, book_id) for book_id in books}
            for book_id in batch:
                book = books.get(book_id)
                if book is None:
                    results.append({"bookId": book_id, "status": "skipped", "message": "Book not found"})
                elif book.status != "review":
                    results.append({"bookId": book_id, "status": "skipped", "message": f"Book is {book.status}"})
                else:
                    results.append(await self._approve_one(book, found[book_id], rule))
            await asyncio.sleep(0)  # let requests waiting on the writer in between batches
        return results

    async def _approve_one(self, book: Book, candidates: list[Candidate], rule: str) -> dict[str, Any]:
        chosen = selections(book, candidates, rule)
        try:
            try:
                _, job = await self.review.approve(book.id, {"selections": chosen})
            except BookshelfError as exc:
                if "cover" not in chosen or isinstance(exc, (Conflict, NotFound)):
                    raise
                # The cover could not be fetched or used: approve with the rest rather than not at all.
                chosen.pop("cover")
                _, job = await self.review.approve(book.id, {"selections": chosen})
                return {"bookId": book.id, "status": "approved", "jobId": job, "message": f"cover: {exc.message}"}
        except (Conflict, NotFound) as exc:
            return {"bookId": book.id, "status": "skipped", "message": exc.message}
        except BookshelfError as exc:
            return {"bookId": book.id, "status": "error", "message": exc.message}
        return {"bookId": book.id, "status": "approved", "jobId": job}

    async def delete(self, book_ids: list[str], keep_files: bool) -> list[dict[str, Any]]:
        results = []
        for book_id in book_ids:
            try:
                await self.removal.delete(book_id, keep_files)
            except NotFound as exc:
                results.append({"bookId": book_id, "status": "skipped", "message": exc.message})
            except BookshelfError as exc:
                results.append({"bookId": book_id, "status": "error", "message": exc.message})
            else:
                results.append({"bookId": book_id, "status": "deleted"})
        return results
