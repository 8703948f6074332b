"""Opening a book in the web reader and saving where the reader is, as one more KOReader-like device."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookshelf.errors import InvalidInput, NotFound
from bookshelf.formats.comic import right_to_left
from bookshelf.formats.xpointer import XPointer
from bookshelf.models import Book, BookFile, Progress
from bookshelf.services.library.page_stream import PageService
from bookshelf.services.library.service import LibraryService
from bookshelf.services.reading.service import ReadingService

# Preferred when a book has several: reflowable text first, then pages.
READABLE = ("epub", "pdf", "cbz", "cbr")
KIND = {"epub": "epub", "pdf": "pdf", "cbz": "comic", "cbr": "comic"}
MAX_DEVICE = 200
MAX_PROGRESS = 4096
_PAGE = re.compile(r"[1-9]\d{0,8}")


@dataclass
class ReaderView:
    book: Book
    file: BookFile
    kind: str  # epub | pdf | comic
    rtl: bool
    positions: list[dict[str, Any]]
    account_id: str  # whose positions these are: the browser keeps what it showed per account

    def to_json(self) -> dict[str, Any]:
        return {
            "bookId": self.book.id,
            "title": self.book.title,
            "author": ", ".join(self.book.authors),
            "fileId": self.file.id,
            "format": self.file.format.lower(),
            "kind": self.kind,
            "size": self.file.size,
            "document": self.file.koreader_hash,
            "pages": self.file.page_count,
            "rtl": self.rtl,
            "url": f"/api/library/{self.book.id}/download/{self.file.id}",
            "positions": self.positions,
            "accountId": self.account_id,
        }


def readable_file(book: Book, file_id: str | None) -> BookFile:
    files = [f for f in book.files if f.format.lower() in READABLE]
    if file_id is not None:
        chosen = next((f for f in files if f.id == file_id), None)
        if chosen is None:
            raise NotFound("This book has no readable file with that id")
        return chosen
    for fmt in READABLE:
        for f in files:
            if f.format.lower() == fmt:
                return f
    raise NotFound("This book has no file the web reader can open (EPUB, PDF, CBZ or CBR)")


class ReaderService:
    def __init__(self, library: LibraryService, reading: ReadingService, pages: PageService) -> None:
        self.library = library
        self.reading = reading
        self.pages = pages

    async def open(self, user_id: str, book_id: str, file_id: str | None = None) -> ReaderView:
        """What the reader needs to show a book to an account; reads only, never writes a position."""
        book = await self.library.get(book_id)
        file = readable_file(book, file_id)
        kind = KIND[file.format.lower()]
        rtl = False
        if kind == "comic":
            _, path = await self.library.file(book.id, file.id)
            rtl = await asyncio.to_thread(right_to_left, path, file.format.lower())
        progress = await self.reading.book_progress(user_id, book)
        return ReaderView(book, file, kind, rtl, progress["devices"], user_id)

    async def save(self, user_id: str, book_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store an account's web reader position against the document id of the file being read."""
        book = await self.library.get(book_id)
        file = readable_file(book, _optional_text(body, "fileId", 64))
        percentage = body.get("percentage")
        if isinstance(percentage, bool) or not isinstance(percentage, (int, float)) or not 0 <= percentage <= 1:
            raise InvalidInput("percentage must be a number from 0 to 1")
        progress = body.get("progress")
        if not isinstance(progress, str) or not 0 < len(progress) <= MAX_PROGRESS:
            raise InvalidInput("progress must be an XPointer (EPUB) or a page number (PDF, comics)")
        if KIND[file.format.lower()] == "epub":
            if XPointer.parse(progress) is None:
                raise InvalidInput("progress must be a KOReader XPointer for an EPUB")
        elif not _PAGE.fullmatch(progress):
            raise InvalidInput("progress must be a page number from 1 for a PDF or comic")
        _optional_text(body, "cfi", MAX_PROGRESS)  # accepted for clients that send it; the XPointer is kept
        device = _optional_text(body, "device", MAX_DEVICE) or "Web reader"
        device_id = _optional_text(body, "deviceId", 64)
        if device_id is not None and not re.fullmatch(r"[0-9A-Fa-f]{8,64}", device_id):
            raise InvalidInput("deviceId must be hexadecimal")
        update = Progress(
            document=file.koreader_hash,
            device=device,
            percentage=float(percentage),
            progress=progress,
            device_id=device_id.upper() if device_id else None,
        )
        timestamp = await self.reading.record(user_id, update)
        return {
            "bookId": book.id,
            "document": update.document,
            "percentage": update.percentage,
            "progress": progress,
            "device": device,
            "deviceId": update.device_id,
            "timestamp": timestamp,
        }

    async def page(self, book_id: str, file_id: str, index: int, max_width: int | None) -> bytes:
        file, path = await self.library.file(book_id, file_id)
        if KIND.get(file.format.lower()) != "comic":
            raise NotFound("Pages are served for comics only")
        return await self.pages.page(Path(path), file, index, max_width)


def _optional_text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidInput(f"{name} must be a string of 1 to {limit} characters")
    return value
