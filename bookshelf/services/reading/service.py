"""Reading: KOReader progress writes, each book's reading state and status, and unmatched documents.

Everything here is an account's own: every method takes the account id
(``user_id``), and one account never reads another's rows.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import progress as progress_rows
from bookshelf.db import reading as rows
from bookshelf.db import stats as stats_rows
from bookshelf.db.reading import ReadingState, Summary
from bookshelf.errors import Conflict, NotFound
from bookshelf.models import READING_STATUSES, Book, Progress
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.reading.matching import book_for_metadata
from bookshelf.services.search.service import SearchService

Write = tuple[str, Progress]  # (account id, the write)

# A write below this after a finish means the book was started again.
REREAD_BELOW = 0.10
DAY = 86_400


def advance(state: ReadingState, percentage: float, at: int, threshold: float) -> bool:
    """Apply one progress write to a book's state; True when this write finished the book.

    The latest write sets the percentage even when it is lower (another device
    behind); writes come in commit order, so the clock (one-second, and it may
    step back) never reorders them. A finish is recorded once, when progress first reaches the
    threshold; a later write under 10% starts a re-read, which can finish again.
    """
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


ON_LOOP_BATCH = 16  # pushes a batch may hold to be written on the loop


class GroupCommit:
    """Commits concurrent KOReader writes together: one transaction and one writer-thread trip per batch.

    Under load a commit per request spends its time in thread hops and
    waiting for the write lock, so whatever arrived while one batch was being
    committed goes into the next. Alone, a write is a batch of one.
    """

    def __init__(self, db: Database, apply: Callable[[sqlite3.Connection, list[Write]], None]) -> None:
        self.db = db
        self.apply = apply
        self._pending: list[tuple[Write, asyncio.Future[None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, update: Write) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((update, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        await future

    def _applier(self, updates: list[Write]) -> Callable[[sqlite3.Connection], None]:
        return lambda conn: self.apply(conn, updates)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                updates = [update for update, _ in batch]
                # A few devices' pushes are written on the loop (no trip to the writer's thread
                # and back, two loop turns under a crowd); many at once go to the thread, which
                # commits them while the loop answers the next requests.
                await self.db.write(self._applier(updates), on_loop=len(updates) <= ON_LOOP_BATCH)
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    continue
                # One write that cannot be stored must not cost the others theirs: retry each alone.
                for update, future in batch:
                    try:
                        await self.db.write(self._applier([update]))
                    except Exception as single:
                        _settle(future, single)
                    else:
                        _settle(future, None)
            else:
                for _, future in batch:
                    _settle(future, None)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the request went away (client disconnected); its write stands
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


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
        self._writes = GroupCommit(db, self._apply)

    def active_since(self) -> int:
        """Progress newer than this is `reading`, older `paused` (decided at query time)."""
        return self.now() - int(self.preferences.get("pausedAfterDays")) * DAY

    # -- KOReader writes and reads -------------------------------------------------
    async def record(self, user_id: str, update: Progress, at: int | None = None) -> int:
        """Store an account's KOReader write and fold it into its book's state; returns its timestamp.

        Concurrent writes are committed together (see :class:`GroupCommit`);
        the answer comes only once the write is committed.
        """
        update.timestamp = self.now() if at is None else at
        await self._writes.submit((user_id, update))
        return update.timestamp

    def _apply(self, conn: sqlite3.Connection, updates: list[Write]) -> None:
        """The writer-thread side of :meth:`record`, for a batch of writes in arrival order."""
        threshold = float(self.preferences.get("finishedThreshold"))
        now = clock.now_iso()
        for user_id, update in updates:
            stats_rows.add_activity(conn, user_id, update)  # before the write joins the history it is compared with
            progress_rows.save(conn, user_id, update)
            book_id = book_rows.book_ids_for_documents_sync(conn, user_id, [update.document]).get(update.document)
            if book_id is None and update.metadata:
                book_id = book_for_metadata(conn, update.metadata)
                if book_id is not None:
                    rows.link_document(conn, user_id, update.document, book_id, "metadata", now)
                    _rebuild(conn, user_id, book_id, threshold, now)  # earlier writes now count for it too
                    continue
            if book_id is not None:
                state = rows.get_state(conn, user_id, book_id) or ReadingState(book_id)
                if advance(state, update.percentage, update.timestamp, threshold):
                    rows.add_finish(conn, user_id, book_id, state.started_at, update.timestamp)
                rows.save_state(conn, user_id, state, now)

    async def latest(self, user_id: str, document: str) -> Progress | None:
        """The account's last committed position for ``document``, taken over every document id of
        its book when it belongs to one (each file version, any device); ``document`` is the id asked for."""
        found = await self.db.read(lambda conn: progress_rows.latest_for_book_of(conn, user_id, document), on_loop=True)
        if found is not None:
            found.document = document
        return found

    # -- unmatched documents ----------------------------------------------------------
    async def unmatched(self, user_id: str) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            positions = await progress_rows.unmatched(conn, user_id)
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

    async def link(self, user_id: str, document: str, book_id: str) -> dict[str, Any]:
        """Attach an unmatched document to a book; its history counts for the book from then on."""
        threshold = float(self.preferences.get("finishedThreshold"))
        async with self.db.read() as conn:
            if await book_rows.get(conn, book_id, with_files=False) is None:
                raise NotFound("Book not found")

        def attach(conn: sqlite3.Connection) -> None:
            if not progress_rows.has_document(conn, user_id, document):
                raise NotFound("No progress is recorded for this document")
            current = book_rows.book_ids_for_documents_sync(conn, user_id, [document]).get(document)
            if current is not None:
                raise Conflict(f"This document already belongs to book {current}")
            now = clock.now_iso()
            rows.link_document(conn, user_id, document, book_id, "user", now)
            _rebuild(conn, user_id, book_id, threshold, now)

        await self.db.write(attach)
        return {"document": document, "bookId": book_id, "method": "user"}

    # -- status -----------------------------------------------------------------------
    async def annotate(self, user_id: str, books: Sequence[Book]) -> None:
        """Fill reading_status and progress of many books, as the account reads them, with one query."""
        async with self.db.read() as conn:
            found = await rows.summaries(conn, user_id, [b.id for b in books], self.active_since())
        for book in books:
            _fill(book, found.get(book.id))

    async def book_progress(self, user_id: str, book: Book) -> dict[str, Any]:
        async with self.db.read() as conn:
            documents = await book_rows.documents_of_book(conn, user_id, book.id)
            positions = await progress_rows.for_documents(conn, user_id, documents)
        await self.annotate(user_id, [book])
        devices = [
            {"device": p.device, "deviceId": p.device_id, "percentage": p.percentage, "progress": p.progress,
             "timestamp": clock.from_unix(p.timestamp), "document": p.document}
            for p in positions
        ]  # fmt: skip
        return {"bookId": book.id, "readingStatus": book.reading_status, "progress": book.progress, "devices": devices}

    async def set_manual(self, user_id: str, book_id: str, status: str | None) -> None:
        """Override the computed status for this account (None clears the override)."""
        assert status is None or status in READING_STATUSES

        def save(conn: sqlite3.Connection) -> None:
            state = rows.get_state(conn, user_id, book_id) or ReadingState(book_id)
            state.manual_status = status
            rows.save_state(conn, user_id, state, clock.now_iso())

        await self.db.write(save)

    async def counts(self, user_id: str) -> dict[str, int]:
        async with self.db.read() as conn:
            return await rows.status_counts(conn, user_id, self.active_since())

    async def list_by_status(
        self, user_id: str, status: str, page: int, per_page: int, sort: str, descending: bool, search: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of organized books in ``status`` (book JSON plus percentage and lastReadAt), and the total."""
        nums = await self.search.match(search, ("organized",)) if search and search.strip() else None
        if nums == []:
            return [], 0
        async with self.db.read() as conn:
            ids, total = await rows.list_by_status(
                conn, user_id, status, self.active_since(), sort, descending, per_page, (page - 1) * per_page, nums
            )
            books = await book_rows.get_many(conn, ids)
            found = await rows.summaries(conn, user_id, ids, self.active_since())
        data = []
        for book in books:
            summary = found.get(book.id)
            _fill(book, summary)
            last = summary.last_read_at if summary else None
            data.append({**book.to_json(), "percentage": book.progress, "lastReadAt": clock.from_unix(last)})
        return data, total

    async def currently_reading(self, user_id: str, limit: int) -> list[Book]:
        async with self.db.read() as conn:
            ids = await rows.recently_read(conn, user_id, "reading", self.active_since(), limit)
            books = await book_rows.get_many(conn, ids)
        await self.annotate(user_id, books)
        return books


def _rebuild(conn: sqlite3.Connection, user_id: str, book_id: str, threshold: float, now: str) -> None:
    """Replay every write of the account for the book's documents: state and finishes as if matched
    from the start."""
    old = rows.get_state(conn, user_id, book_id)
    state = ReadingState(book_id, manual_status=old.manual_status if old else None)
    rows.clear_finishes(conn, user_id, book_id)
    documents = book_rows.documents_of_book_sync(conn, user_id, book_id)
    for percentage, at in progress_rows.history_of(conn, user_id, documents):
        if advance(state, percentage, at, threshold):
            rows.add_finish(conn, user_id, book_id, state.started_at, at)
    rows.save_state(conn, user_id, state, now)


def _fill(book: Book, summary: Summary | None) -> None:
    book.reading_status = summary.status if summary else "unread"
    book.progress = summary.percentage if summary else None
