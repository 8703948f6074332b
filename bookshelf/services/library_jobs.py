"""The metadata and organize jobs: what the queue runs, by id, safe to run twice."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bookshelf.services.metadata import MetadataService
from bookshelf.services.organize import OrganizeService
from bookshelf.services.review import ReviewService

log = logging.getLogger("bookshelf.jobs")


class JobLog(Protocol):
    async def progress(self, job_id: str, fraction: float) -> None: ...
    async def note(self, job_id: str, text: str) -> None: ...


class LibraryJobs:
    def __init__(self, metadata: MetadataService, organize: OrganizeService, review: ReviewService,
                 jobs: JobLog) -> None:  # fmt: skip
        self.metadata = metadata
        self.organize = organize
        self.review = review
        self.jobs = jobs

    async def lookup_metadata(self, job_id: str, book_id: str, bypass_cache: bool = False) -> dict[str, Any]:
        """Fetch candidates; skipped or failed providers are noted on the job; maybe auto-approve."""
        report = await self.metadata.lookup(book_id, bypass_cache=bypass_cache)
        if any(n["status"] != "ok" for n in report.notes):
            await self.jobs.note(job_id, report.summary())
        await self.review.auto_approve(book_id)
        return {"candidates": report.candidates, "notes": report.notes}

    async def organize_book(self, job_id: str, book_id: str) -> dict[str, Any]:
        result = await self.organize.organize_book(book_id)
        if result.notes:
            await self.jobs.note(job_id, "; ".join(result.notes))
        return {"moved": result.moved, "rewritten": result.rewritten, "unchanged": result.unchanged}

    async def reorganize_all(self, job_id: str) -> dict[str, int]:
        async def progress(done: int, total: int) -> None:
            await self.jobs.progress(job_id, done / total if total else 1.0)

        totals = await self.organize.reorganize_all(progress)
        log.info("reorganized the library: %s", totals)
        return totals
