"""Deleting a book: its rows go, its files go to data/trash/ (or stay, with keepFiles), progress stays."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import trash as trash_rows
from bookshelf.errors import NotFound
from bookshelf.models import Book
from bookshelf.services import transfer
from bookshelf.services.files import file_path
from bookshelf.services.jobs import JobService
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.removal")


class RemovalService:
    def __init__(self, db: Database, settings: Settings, jobs: JobService) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs

    async def delete(self, book_id: str, keep_files: bool) -> None:
        """Any status. The trash row (with where each file goes) commits durably before a file moves,
        so an interruption leaves every file either in place or in the trash, and recorded."""
        trash_id = str(uuid.uuid4())
        trash_dir = self.settings.trash_dir / trash_id
        async with self.db.write(durable=True) as conn:
            book = await book_rows.get(conn, book_id)
            if book is None:
                raise NotFound("Book not found")
            moves = [] if keep_files else self._plan(book, trash_dir)
            await trash_rows.insert(conn, trash_id, book.id, book.title, _snapshot(book),
                                    [m["record"] for m in moves], clock.now_iso())  # fmt: skip
            queued = await self.jobs.forget_book(conn, book_id)
            await book_rows.delete(conn, book_id)  # files, candidates, links cascade; progress is not linked
        self.jobs.revoke(queued)
        for move in moves:
            try:
                await asyncio.to_thread(transfer.move_verified, move["src"], move["dst"], move["sha256"])
            except FileNotFoundError:
                log.warning("file of deleted book %s was already gone: %s", book_id, move["src"])
            except OSError:
                log.exception("could not move %s to the trash; it stays where it was", move["src"])
        if not keep_files:
            for move in moves:
                if move["root"] == "incoming":
                    transfer.remove_empty_parents(move["src"].parent, self.settings.incoming_dir)
        log.info("deleted book %s (%s)%s", book_id, book.title, " keeping its files" if keep_files else "")

    def _plan(self, book: Book, trash_dir: Path) -> list[dict[str, Any]]:
        moves = []
        for index, file in enumerate(book.files):
            src = file_path(self.settings, file)
            dst = trash_dir / f"{index}-{transfer.safe_name(file.filename)}"
            record = {"file": file.to_json(), "root": file.root, "path": file.path, "sha256": file.sha256,
                      "trashPath": str(dst.relative_to(self.settings.trash_dir))}  # fmt: skip
            moves.append({"src": src, "dst": dst, "sha256": file.sha256, "root": file.root, "record": record})
        return moves


def _snapshot(book: Book) -> dict[str, Any]:
    body = book.to_json()
    body["identifiers"] = book.identifiers
    body["authorSort"] = book.author_sort
    return body
