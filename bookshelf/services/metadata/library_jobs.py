"""The metadata and organize jobs: what the queue's tasks run on the loop, by id, safe to run twice."""

from __future__ import annotations

import logging
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import jobs as job_rows
from bookshelf.services.metadata.review import ReviewService
from bookshelf.services.metadata.service import MetadataService
from bookshelf.services.organize.service import OrganizeService

log = logging.getLogger("bookshelf.jobs")


class LibraryJobs:
    def __init__(self, metadata: MetadataService, organize: OrganizeService, review: ReviewService,
                 db: Database) -> None:  # fmt: skip
        self.metadata = metadata
        self.organize = organize
        self.review = review
        self.db = db

    async def lookup_metadata(self, book_id: str, bypass_cache: bool = False) -> dict[str, Any]:
        """Fetch candidates (the reasons of skipped or failed providers stay with the book's lookup
        notes; when every provider failed this raises, failing the job with them), then maybe
        auto-approve."""
        report = await self.metadata.lookup(book_id, bypass_cache=bypass_cache)
        await self.review.auto_approve(book_id)
        return {"candidates": report.candidates, "notes": report.notes}

    async def organize_book(self, book_id: str) -> dict[str, Any]:
        result = await self.organize.organize_book(book_id)
        for note in result.notes:
            log.info("organize %s: %s", book_id, note)
        return {"moved": result.moved, "rewritten": result.rewritten, "unchanged": result.unchanged}

    async def reorganize_all(self) -> dict[str, int]:
        async def progress(done: int, total: int) -> None:
            async with self.db.write() as conn:
                job = await job_rows.open_for(conn, "reorganize_all", None)
                if job is not None:
                    await job_rows.update(conn, job.id, progress=round(done / total, 4) if total else 1.0,
                                          updated_at=clock.now_iso())  # fmt: skip

        totals = await self.organize.reorganize_all(progress)
        log.info("reorganized the library: %s", totals)
        return totals
