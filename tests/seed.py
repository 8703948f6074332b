"""Putting books into a real runtime the way ingest leaves them: a file in incoming, a `file` candidate."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.formats import file_hashes
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.runtime import Runtime
from bookshelf.services.storage.coverstore import store_cover
from tests.builders import make_epub, make_jpeg, make_pdf


def _file_candidate(book: Book) -> dict[str, Any]:
    return {
        "title": book.title, "authors": book.authors, "series": book.series, "seriesIndex": book.series_index,
        "isbn10": book.isbn10, "isbn13": book.isbn13, "publisher": book.publisher,
        "publishedYear": book.published_year, "language": book.language, "description": book.description,
        "pageCount": book.page_count, "genres": book.genres,
    }  # fmt: skip


async def add_book(rt: Runtime, title: str = "The Left Hand of Darkness", authors: list[str] | None = None, *,
                   status: str = "review", fmt: str = "epub", isbn: str | None = None, cover: bool = True,
                   series: str | None = None, series_index: float | None = None,
                   description: str | None = None, name: str | None = None,
                   body_bytes: int = 0) -> Book:  # fmt: skip
    """A book as ingest leaves it (status review, file under incoming/), or organized in place."""
    authors = ["Ursula K. Le Guin"] if authors is None else authors
    book_id = str(uuid.uuid4())
    folder = rt.settings.incoming_dir / book_id
    folder.mkdir(parents=True)
    path = folder / (name or f"upload.{fmt}")
    image = make_jpeg(120, 180) if cover else None
    if fmt == "epub":
        make_epub(path, title=title, authors=authors, isbn=isbn, cover=image, series=series,
                  series_index=series_index, description=description, body_bytes=body_bytes)  # fmt: skip
    else:
        make_pdf(path, title=title, author=authors[0] if authors else None)
    koreader, sha = await asyncio.to_thread(file_hashes, path)
    now = clock.now_iso()
    cover_sha = await asyncio.to_thread(store_cover, rt.settings, image) if image else None
    book = Book(
        id=book_id, status=status, title=title, authors=authors, series=series, series_index=series_index,
        isbn13=isbn if isbn and len(isbn) == 13 else None, description=description, language="en",
        cover_sha256=cover_sha, created_at=now, updated_at=now,
        organized_at=now if status == "organized" else None,
    )  # fmt: skip
    file = BookFile(
        id=str(uuid.uuid4()), book_id=book_id, format=fmt, root="incoming", path=f"{book_id}/{path.name}",
        filename=path.name, size=path.stat().st_size, sha256=sha, koreader_hash=koreader, page_count=None,
        added_at=now,
    )  # fmt: skip
    async with rt.db.write() as conn:
        await book_rows.insert(conn, book)
        await book_rows.insert_file(conn, file)
        await candidate_rows.insert(conn, Candidate(id=str(uuid.uuid4()), book_id=book_id, source="file",
                                                    source_id=None, score=1.0, data=_file_candidate(book),
                                                    fetched_at=now))  # fmt: skip
    book.files = [file]
    return book


async def reload(rt: Runtime, book_id: str) -> Book:
    async with rt.db.read() as conn:
        book = await book_rows.get(conn, book_id)
    assert book is not None
    return book


def disk_path(rt: Runtime, file: BookFile) -> Path:
    from bookshelf.services.storage.files import file_path

    return file_path(rt.settings, file)


async def job_state(rt: Runtime, job_id: str) -> Any:
    from bookshelf.db import jobs as job_rows

    async with rt.db.read() as conn:
        return await job_rows.get(conn, job_id)
