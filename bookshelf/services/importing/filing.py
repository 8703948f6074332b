"""Filing imported books under the organize template while the import goes on.

A book is handed over as soon as its rows and files are committed, so filing
(EPUB rewriting, journaled moves) overlaps with copying the next books
instead of waiting for the whole run. Filing is the organize service's job;
this only feeds it and counts. A book that cannot be filed stays in the
library, unfiled, with its reason in the report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bookshelf.formats.parsed import EpubMetadata
from bookshelf.models import Book
from bookshelf.services.importing.report import ImportReport

log = logging.getLogger("bookshelf.import")
# Books being filed at once: their EPUB rewrites run in threads while one book at a
# time plans and moves (the organize service's naming lock).
WORKERS = 4


class Filer(Protocol):
    """The organize service, as an importer sees it."""

    async def organize_book(self, book_id: str) -> object: ...

    def embedding(self, book: Book) -> tuple[EpubMetadata, str] | None: ...


Organize = Callable[[str], Awaitable[object]]


class Filing:
    def __init__(self, organize: Organize, report: ImportReport, workers: int = WORKERS) -> None:
        self.organize = organize
        self.report = report
        self.seen: set[str] = set()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(workers)]

    def add(self, book_id: str) -> None:
        if book_id not in self.seen:
            self.seen.add(book_id)
            self._queue.put_nowait(book_id)

    async def finish(self) -> None:
        """Wait until every book handed over is filed (or has failed)."""
        for _ in self._workers:
            self._queue.put_nowait(None)
        await asyncio.gather(*self._workers)

    async def cancel(self) -> None:
        """Stop without waiting (the run failed or was cancelled); unfiled books are filed next run."""
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self) -> None:
        while (book_id := await self._queue.get()) is not None:
            await self._file(book_id)

    async def _file(self, book_id: str) -> None:
        try:
            await self.organize(book_id)
        except Exception as exc:  # the book stays in the library, unfiled; the reason is listed
            log.warning("organizing imported book %s failed: %s", book_id, exc)
            await self.report.add("failed", book_id, "organizing", reason=str(exc), counts=False)
        else:
            self.report.organized += 1
        await self.report.emit(False)
