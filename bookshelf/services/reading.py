"""Reading: KOReader progress writes, each book's reading state and status, and unmatched documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import progress as progress_rows
from bookshelf.db import reading as rows
from bookshelf.db.reading import READING_STATUSES, ReadingState, Summary
from bookshelf.errors import Conflict, NotFound
from bookshelf.models import Book, Progress
from bookshelf.services.matching import book_for_metadata
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.search import SearchService

# A write below this after a finish means the book was started again.
REREAD_BELOW = 0.10
DAY = 86_400


def advance(state: ReadingState, percentage: float, at: int, threshold: float) -> bool:
    """Apply one progress write to a book's state; True when this write finished the book.

    The latest write sets the percentage even when it is lower (another device
    behind). A finish is recorded once, when progress first reaches the
    threshold; a later write under 10% starts a re-read, which can finish again.
    """
    if state.last_read_at is not None and at < state.last_read_at:
        return False
    if state.finished_at is not None and percentage < REREAD_BELOW:
        state.finished_at = None
        state.started_at = at
    if state.started_at is None:
        state.started_at = at
    state.percentage = percentage
    state.last_read_at = at
    if state.finished_at is None and percentage >= threshold:
        state.finished_at = at
        return True
    return False


class ReadingService:
    def __init__(
        self,
        db: Database,
        preferences: PreferenceService,
        search: SearchService,
        now: Callable[[], int] = clock.unix,
    ) -> None:
        self.db = db
        self.preferences = preferences
        self.search = search
        self.now = now

    def active_since(self) -> int:
        """Progress newer than this is `reading`, older `paused` (decided at query time)."""
        return self.now() - int(self.preferences.get("pausedAfterDays")) * DAY

    # -- KOReader writes and reads -------------------------------------------------
    async def record(self, update: Progress, at: int | None = None) -> int:
        """Store a KOReader write and fold it into its book's state, in one transaction; returns its timestamp."""
        update.timestamp = self.now() if at is None else at
        threshold = float(self.preferences.get("finishedThreshold"))
        async with self.db.write() as conn:
            await progress_rows.save(conn, update)
            matched = await book_rows.book_ids_for_documents(conn, [update.document])
            book_id = matched.get(update.document)
            if book_id is None and update.metadata:
                book_id = await book_for_metadata(conn, update.metadata)
                if book_id is not None:
                    await rows.link_document(conn, update.document, book_id, "metadata", clock.now_iso())
                    await self._rebuild(conn, book_id, threshold)  # earlier writes now count for it too
                    return update.timestamp
            if book_id is not None:
                state = await rows.get_state(conn, book_id) or ReadingState(book_id)
                if advance(state, update.percentage, update.timestamp, threshold):
                    await rows.add_finish(conn, book_id, state.started_at, update.timestamp)
                await rows.save_state(conn, state, clock.now_iso())
        return update.timestamp

    async def latest(self, document: str) -> Progress | None:
        async with self.db.read() as conn:
            return await progress_rows.latest(conn, document)

    async def _rebuild(self, conn: Any, book_id: str, threshold: float) -> None:
        """Replay every write of the book's documents: state and finishes as if matched from the start."""
        documents = await book_rows.documents_of_book(conn, book_id)
        old = await rows.get_state(conn, book_id)
        state = ReadingState(book_id, manual_status=old.manual_status if old else None)
        await rows.clear_finishes(conn, book_id)
        for percentage, at in await progress_rows.history_of(conn, documents):
            if advance(state, percentage, at, threshold):
                await rows.add_finish(conn, book_id, state.started_at, at)
        await rows.save_state(conn, state, clock.now_iso())

    # -- unmatched documents ----------------------------------------------------------
    async def unmatched(self) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            positions = await progress_rows.unmatched(conn)
        by_document: dict[str, dict[str, Any]] = {}
        for p in positions:  # newest first: the first seen per document is its latest write
            entry = by_document.setdefault(
                p.document,
                {"document": p.document, "device": p.device, "percentage": p.percentage,
                 "timestamp": clock.from_unix(p.timestamp), "metadata": None},
            )  # fmt: skip
            if entry["metadata"] is None and p.metadata:
                entry["metadata"] = p.metadata
        return list(by_document.values())

    async def link(self, document: str, book_id: str) -> dict[str, Any]:
        """Attach an unmatched document to a book; its history counts for the book from then on."""
        threshold = float(self.preferences.get("finishedThreshold"))
        async with self.db.write() as conn:
            if await book_rows.get(conn, book_id, with_files=False) is None:
                raise NotFound("Book not found")
            if not await progress_rows.for_documents(conn, [document]):
                raise NotFound("No progress is recorded for this document")
            current = (await book_rows.book_ids_for_documents(conn, [document])).get(document)
            if current is not None:
                raise Conflict(f"This document already belongs to book {current}")
            await rows.link_document(conn, document, book_id, "user", clock.now_iso())
            await self._rebuild(conn, book_id, threshold)
        return {"document": document, "bookId": book_id, "method": "user"}

    # -- status -----------------------------------------------------------------------
    async def annotate(self, books: Sequence[Book]) -> None:
        """Fill reading_status and progress of many books with one query."""
        async with self.db.read() as conn:
            found = await rows.summaries(conn, [b.id for b in books], self.active_since())
        for book in books:
            _fill(book, found.get(book.id))

    async def book_progress(self, book: Book) -> dict[str, Any]:
        async with self.db.read() as conn:
            documents = await book_rows.documents_of_book(conn, book.id)
            positions = await progress_rows.for_documents(conn, documents)
        await self.annotate([book])
        devices = [
            {"device": p.device, "deviceId": p.device_id, "percentage": p.percentage, "progress": p.progress,
             "timestamp": clock.from_unix(p.timestamp), "document": p.document}
            for p in positions
        ]  # fmt: skip
        return {"bookId": book.id, "readingStatus": book.reading_status, "progress": book.progress, "devices": devices}

    async def set_manual(self, book_id: str, status: str | None) -> None:
        """Override the computed status (None clears the override)."""
        assert status is None or status in READING_STATUSES
        async with self.db.write() as conn:
            state = await rows.get_state(conn, book_id) or ReadingState(book_id)
            state.manual_status = status
            await rows.save_state(conn, state, clock.now_iso())

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            return await rows.status_counts(conn, self.active_since())

    async def list_by_status(
        self, status: str, page: int, per_page: int, sort: str, descending: bool, search: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of organized books in ``status`` (book JSON plus percentage and lastReadAt), and the total."""
        nums = await self.search.match(search, ("organized",)) if search and search.strip() else None
        if nums == []:
            return [], 0
        async with self.db.read() as conn:
            ids, total = await rows.list_by_status(
                conn, status, self.active_since(), sort, descending, per_page, (page - 1) * per_page, nums
            )
            books = await book_rows.get_many(conn, ids)
            found = await rows.summaries(conn, ids, self.active_since())
        data = []
        for book in books:
            summary = found.get(book.id)
            _fill(book, summary)
            last = summary.last_read_at if summary else None
            data.append({**book.to_json(), "percentage": book.progress, "lastReadAt": clock.from_unix(last)})
        return data, total

    async def currently_reading(self, limit: int) -> list[Book]:
        async with self.db.read() as conn:
            ids = await rows.recently_read(conn, "reading", self.active_since(), limit)
            books = await book_rows.get_many(conn, ids)
        await self.annotate(books)
        return books


def _fill(book: Book, summary: Summary | None) -> None:
    book.reading_status = summary.status if summary else "unread"
    book.progress = summary.percentage if summary else None
