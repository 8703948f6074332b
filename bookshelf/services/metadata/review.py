"""Reviewing and editing book metadata: candidates, approve (per-field selections), apply, edit, covers.

Every change that reaches the file or its path enqueues an organize job; the
organize service does the disk work.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Protocol

from bookshelf import clock
from bookshelf.db import Database, lookups
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from bookshelf.formats import sniff_image_type
from bookshelf.models import Book, Candidate
from bookshelf.services.metadata import bookfields
from bookshelf.services.metadata.candidate_covers import CandidateCovers
from bookshelf.services.storage.coverstore import MAX_COVER_BYTES, store_cover
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.review")
# What auto-approval fills in from the best candidate where the file says nothing.
FILL_FIELDS = ("title", "subtitle", "authors", "series", "seriesIndex", "isbn10", "isbn13", "publisher",
               "publishedYear", "language", "description", "pageCount", "genres")  # fmt: skip


class QueuedJob(Protocol):
    id: str


class Jobs(Protocol):
    async def enqueue(self, task: str, book_id: str | None = None, **args: Any) -> QueuedJob: ...


class Preferences(Protocol):
    def get(self, key: str) -> Any: ...


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class ReviewService:
    def __init__(self, db: Database, settings: Settings, preferences: Preferences, covers: CandidateCovers,
                 jobs: Jobs) -> None:  # fmt: skip
        self.db = db
        self.settings = settings
        self.preferences = preferences
        self.covers = covers
        self.jobs = jobs

    # -- reading ---------------------------------------------------------------------------
    async def book(self, book_id: str, library: bool = False) -> Book:
        """A book by id; with ``library`` an inbox book is 404, as /api/library/{id} promises."""
        async with self.db.read() as conn:
            book = await book_rows.get(conn, book_id)
        if book is None or (library and book.status != "organized"):
            raise NotFound("Book not found")
        return book

    async def candidates(self, book_id: str) -> dict[str, Any]:
        book = await self.book(book_id)
        async with self.db.read() as conn:
            found = await candidate_rows.for_book(conn, book_id)
            lookup = await lookups.notes(conn, book_id)
        return {"book": book.to_json(), "candidates": [c.to_json() for c in found], "lookup": lookup}

    async def candidate(self, book_id: str, candidate_id: str) -> Candidate:
        async with self.db.read() as conn:
            found = await candidate_rows.get(conn, candidate_id)
        if found is None or found.book_id != book_id:
            raise NotFound("Candidate not found")
        return found

    async def candidate_cover(self, book_id: str, candidate_id: str) -> tuple[bytes, str]:
        await self.book(book_id)
        return await self.covers.image(await self.candidate(book_id, candidate_id))

    # -- approving and applying ------------------------------------------------------------
    async def approve(self, book_id: str, body: Any) -> tuple[Book, str]:
        book = await self.book(book_id)
        if book.status != "review":
            raise Conflict(f"Book is {book.status}, not in review")
        merge_into = body.get("mergeInto") if isinstance(body, dict) else None
        if merge_into is not None:
            return await self._merge(book, merge_into)
        changes, cover = await self._resolve(book, body)
        now = clock.now_iso()
        async with self.db.write() as conn:
            book = await self._fresh(conn, book_id)
            if book.status != "review":
                raise Conflict(f"Book is {book.status}, not in review")
            bookfields.apply(book, changes)
            if cover:
                book.cover_sha256 = cover
            book.status, book.stage, book.error = "organized", None, None
            book.organized_at = book.updated_at = now
            await book_rows.save(conn, book)
        job = await self._organize(book_id)
        return await self.book(book_id), job

    async def apply_metadata(self, book_id: str, body: Any) -> tuple[Book, str]:
        book = await self.book(book_id, library=True)
        changes, cover = await self._resolve(book, body)
        if isinstance(body, dict) and body.get("mergeInto") is not None:
            raise InvalidInput("mergeInto is only for books in review", details=[{"field": "mergeInto"}])
        await self._save_changes(book_id, changes, cover)
        job = await self._organize(book_id)
        return await self.book(book_id), job

    async def edit(self, book_id: str, body: Any) -> tuple[Book, str | None]:
        """PATCH: typed values; a change to a file field enqueues a re-organize."""
        await self.book(book_id, library=True)
        if not isinstance(body, dict) or not body:
            raise InvalidInput("Body must be a JSON object with at least one field")
        changes = bookfields.clean_changes(body, "")
        changed = await self._save_changes(book_id, changes, None)
        job = None
        if changed & bookfields.FILE_FIELDS:
            job = await self._organize(book_id)
        return await self.book(book_id), job

    async def set_cover(self, book_id: str, image: bytes | None, candidate_id: str | None) -> tuple[Book, str]:
        await self.book(book_id, library=True)
        if candidate_id is not None:
            image, _ = await self.covers.image(await self.candidate(book_id, candidate_id))
        if not image:
            raise InvalidInput('Send an image body or {"candidateId"}')
        sha = await self._store_cover(image)
        await self._save_changes(book_id, {}, sha)
        job = await self._organize(book_id)
        return await self.book(book_id), job

    async def refetch(self, book_id: str, library: bool = True) -> str:
        await self.book(book_id, library=library)
        async with self.db.write() as conn:
            await candidate_rows.delete_remote(conn, book_id)
        return (await self.jobs.enqueue("lookup_metadata", book_id, bypass_cache=True)).id

    async def reorganize(self, book_id: str) -> str:
        await self.book(book_id, library=True)
        return await self._organize(book_id)

    async def reorganize_all(self) -> str:
        return (await self.jobs.enqueue("reorganize_all")).id

    async def auto_approve(self, book_id: str) -> str | None:
        """With autoApprove on: file values, filled in from the best candidate if it scores high enough."""
        if not self.preferences.get("autoApprove"):
            return None
        book = await self.book(book_id)
        async with self.db.read() as conn:
            found = [c for c in await candidate_rows.for_book(conn, book_id) if c.source != "file"]
        if book.status != "review" or not found:
            return None
        best = max(found, key=lambda c: c.score)
        if best.score < float(self.preferences.get("autoApproveMinScore")):
            return None
        selections = {f: best.id for f in FILL_FIELDS if _empty(bookfields.current(book, f))
                      and not _empty(best.data.get(f))}  # fmt: skip
        if not book.cover_sha256 and best.data.get("coverUrl"):
            selections["cover"] = best.id
        try:
            _, job = await self.approve(book_id, {"selections": selections})
        except (Conflict, NotFound):
            return None  # the user got there first
        log.info("auto-approved %s from %s (score %.2f)", book_id, best.source, best.score)
        return job

    # -- helpers ---------------------------------------------------------------------------
    async def _organize(self, book_id: str) -> str:
        return (await self.jobs.enqueue("organize_book", book_id)).id

    async def _fresh(self, conn: Any, book_id: str) -> Book:
        book = await book_rows.get(conn, book_id, with_files=False)
        if book is None:
            raise NotFound("Book not found")
        return book

    async def _save_changes(self, book_id: str, changes: dict[str, Any], cover: str | None) -> set[str]:
        async with self.db.write() as conn:
            book = await self._fresh(conn, book_id)
            changed = bookfields.apply(book, changes)
            if cover and cover != book.cover_sha256:
                book.cover_sha256 = cover
                changed.add("cover")
            if changed:
                book.updated_at = clock.now_iso()
                await book_rows.save(conn, book)
        return changed

    async def _resolve(self, book: Book, body: Any) -> tuple[dict[str, Any], str | None]:
        """Selections and overrides as cleaned field values, plus a new cover's SHA-256 if chosen."""
        if not isinstance(body, dict):
            raise InvalidInput("Body must be a JSON object")
        unknown = set(body) - {"selections", "overrides", "mergeInto"}
        selections, overrides = body.get("selections") or {}, body.get("overrides") or {}
        problems: list[dict[str, str]] = [{"field": k, "message": "unknown key"} for k in sorted(unknown)]
        if not isinstance(selections, dict) or not isinstance(overrides, dict):
            raise InvalidInput("selections and overrides must be objects", details=problems or None)
        async with self.db.read() as conn:
            mine = {c.id: c for c in await candidate_rows.for_book(conn, book.id)}
        values: dict[str, Any] = {}
        cover: Candidate | None = None
        for name, cid in selections.items():
            if name not in bookfields.SELECTABLE:
                problems.append({"field": f"selections.{name}", "message": "is not a selectable field"})
            elif not isinstance(cid, str) or cid not in mine:
                problems.append({"field": f"selections.{name}", "message": "is not a candidate of this book"})
            elif name == "cover":
                cover = mine[cid] if mine[cid].source != "file" else None
            else:
                values[name] = mine[cid].data.get(name, [] if name in ("authors", "genres", "tags") else None)
        if problems:
            raise InvalidInput("Invalid selections", details=problems)
        if "cover" in overrides:
            raise InvalidInput("Set a cover with PUT /api/library/{id}/cover", details=[{"field": "overrides.cover"}])
        changes = bookfields.clean_changes(values, "selections.")
        changes.update(bookfields.clean_changes(overrides, "overrides."))
        sha = None
        if cover is not None:
            image, _ = await self.covers.image(cover)
            sha = await self._store_cover(image)
        return changes, sha

    async def _store_cover(self, image: bytes) -> str:
        if len(image) > MAX_COVER_BYTES:
            raise PayloadTooLarge("A cover may be at most 5 MB")
        if sniff_image_type(image) is None:
            raise InvalidInput("The cover is not a JPEG, PNG, GIF or WebP image")
        sha = await asyncio.to_thread(store_cover, self.settings, image)
        if sha is None:
            raise InvalidInput("The cover image is damaged or cannot be decoded")
        return sha

    async def _merge(self, book: Book, target_id: Any) -> tuple[Book, str]:
        try:
            target_id = str(uuid.UUID(str(target_id)))
        except ValueError:
            raise InvalidInput("mergeInto must be a book id", details=[{"field": "mergeInto"}]) from None
        if target_id == book.id:
            raise InvalidInput("A book cannot be merged into itself", details=[{"field": "mergeInto"}])
        async with self.db.write() as conn:
            target = await book_rows.get(conn, target_id, with_files=False)
            if target is None or target.status != "organized":
                raise Conflict("mergeInto must be a book in the library")
            source = await book_rows.get(conn, book.id)
            if source is None or source.status != "review":
                raise Conflict("Book is no longer in review")
            now = clock.now_iso()
            for file in source.files:
                file.book_id = target_id
                await book_rows.update_file(conn, file, now)
            await candidate_rows.delete_for_book(conn, book.id)
            await book_rows.delete(conn, book.id)
        job = await self._organize(target_id)
        return await self.book(target_id), job
