"""Deleting a book or one of its files: rows go to a trash snapshot, files to data/trash/ (or stay, with
keepFiles), progress stays."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any

import aiosqlite

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import books as book_rows
from bookshelf.db import trash as trash_rows
from bookshelf.errors import Conflict, NotFound
from bookshelf.models import Book, BookFile
from bookshelf.services.jobs import JobService
from bookshelf.services.names import disk
from bookshelf.services.storage import durable
from bookshelf.services.storage.files import file_path
from bookshelf.settings import Settings

log = logging.getLogger("bookshelf.removal")


class RemovalService:
    def __init__(self, db: Database, settings: Settings, jobs: JobService) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs

    async def delete(self, book_id: str, keep_files: bool) -> None:
        """Any status. The trash row (every row the book owned, and where each file goes) commits
        durably before a file moves, so an interruption leaves every file either in place or in the
        trash, and recorded."""
        trash_id = str(uuid.uuid4())
        trash_dir = self.settings.trash_dir / trash_id
        async with self.db.write(durable=True) as conn:
            book = await book_rows.get(conn, book_id)
            if book is None:
                raise NotFound("Book not found")
            moves = await self._plan(conn, book.files, trash_dir, keep_files)
            snapshot = _snapshot(book, await trash_rows.book_snapshot(conn, book_id))
            await trash_rows.insert(conn, trash_id, book.id, book.title, snapshot,
                                    [m["record"] for m in moves], clock.now_iso())  # fmt: skip
            queued = await self.jobs.forget_book(conn, book_id)
            await book_rows.delete(conn, book_id)  # files, candidates, links cascade; progress is not linked
        await asyncio.to_thread(self.jobs.revoke, queued)
        await self._move_all(moves, keep_files)
        log.info("deleted book %s (%s)%s", book_id, book.title, " keeping its files" if keep_files else "")

    async def delete_file(self, book_id: str, file_id: str) -> str:
        """One file of a library book to the trash, as its own entry; never the last one. Returns the
        trash entry's id."""
        trash_id = str(uuid.uuid4())
        async with self.db.write(durable=True) as conn:
            book = await book_rows.get(conn, book_id)
            if book is None or book.status != "organized":
                raise NotFound("Book not found")
            file = next((f for f in book.files if f.id == file_id), None)
            if file is None:
                raise NotFound("File not found")
            if len(book.files) == 1:
                raise Conflict("This is the book's only file; delete the book instead")
            moves = await self._plan(conn, [file], self.settings.trash_dir / trash_id, False)
            snapshot = _snapshot(book, {})
            await trash_rows.insert(conn, trash_id, book.id, book.title, snapshot, [m["record"] for m in moves],
                                    clock.now_iso(), kind="file")  # fmt: skip
            await book_rows.delete_file(conn, file_id)  # its hash history is in the snapshot
        await self._move_all(moves, False)
        log.info("moved file %s of book %s to the trash", file.filename, book_id)
        return trash_id

    async def _move_all(self, moves: list[dict[str, Any]], keep_files: bool) -> None:
        if keep_files:
            return
        for move in moves:
            try:
                await asyncio.to_thread(durable.move_verified, move["src"], move["dst"], move["sha256"])
            except FileNotFoundError:
                log.warning("file was already gone: %s", move["src"])
            except OSError:
                log.exception("could not move %s to the trash; it stays where it was", move["src"])
        for move in moves:
            if move["root"] == "incoming":
                durable.prune_empty_dirs(move["src"].parent, self.settings.incoming_dir)

    async def _plan(self, conn: aiosqlite.Connection, files: list[BookFile], trash_dir: Path,
                    keep_files: bool) -> list[dict[str, Any]]:  # fmt: skip
        """Where each file goes, and the rows (file row, every hash it had) that bring it back."""
        moves = []
        for index, file in enumerate(files):
            src = file_path(self.settings, file)
            dst = trash_dir / disk.safe_name(f"{index}-{file.filename}")  # the prefix counts in 255 bytes
            record = {
                "file": file.to_json(), "root": file.root, "path": file.path, "sha256": file.sha256,
                "trashPath": None if keep_files else str(dst.relative_to(self.settings.trash_dir)),
                "row": (await trash_rows.rows_of(conn, "files", "id", file.id) or [{}])[0],
                "hashes": await trash_rows.rows_of(conn, "file_hashes", "file_id", file.id),
            }  # fmt: skip
            moves.append({"src": src, "dst": dst, "sha256": file.sha256, "root": file.root, "record": record})
        return moves


def _snapshot(book: Book, rows: dict[str, Any]) -> dict[str, Any]:
    body = book.to_json()
    body["identifiers"] = book.identifiers
    body["authorSort"] = book.author_sort
    if rows:
        body["rows"] = rows
    return body
