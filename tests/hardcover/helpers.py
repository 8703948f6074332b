"""Library books with reading state, a matching fake Hardcover catalogue, and request checks."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from typing import Any

from graphql import parse, validate

from bookshelf import clock
from bookshelf.db import books
from bookshelf.db import reading as reading_rows
from bookshelf.db.reading import ReadingState
from bookshelf.models import Book, BookFile
from bookshelf.runtime import Runtime
from tests.fakes.hardcover import FakeHardcover, schema

DAY = 86_400


def isbn13(n: int) -> str:
    body = f"978{n:09d}"
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def catalogue(count: int) -> list[dict[str, Any]]:
    """Hardcover books 1001.. with one edition each (ISBN-13, pages 200 + n)."""
    return [
        {
            "id": 1000 + n,
            "title": f"Harbour Lights Volume {n}",
            "authors": [f"Author Number{n}"],
            "isbn13": isbn13(n),
            "pages": 200 + n,
        }
        for n in range(1, count + 1)
    ]


def hardcover_id(n: int) -> int:
    return 1000 + n


async def add_book(
    rt: Runtime, title: str, authors: list[str], *, isbn: str | None = None, document: str | None = None
) -> Book:
    """An organized book; with ``document``, one file whose KOReader hash is that id."""
    now = clock.now_iso()
    book = Book(
        id=str(uuid.uuid4()),
        status="organized",
        title=title,
        authors=authors,
        isbn13=isbn,
        created_at=now,
        updated_at=now,
        organized_at=now,
    )
    async with rt.db.write() as conn:
        await books.insert(conn, book)
        if document:
            file = BookFile(
                id=str(uuid.uuid4()),
                book_id=book.id,
                format="epub",
                root="library",
                path=f"{book.id}/{title}.epub",
                filename=f"{title}.epub",
                size=1000,
                sha256=hashlib.sha256(document.encode()).hexdigest(),
                koreader_hash=document,
                page_count=None,
                added_at=now,
            )
            await books.insert_file(conn, file)
    return book


async def set_state(
    rt: Runtime,
    book_id: str,
    percentage: float | None,
    *,
    read_days_ago: float = 0,
    started_days_ago: float = 1,
    finished: bool = False,
    manual: str | None = None,
) -> None:
    """A reading_state row as the reading service leaves it (and a finish row when finished)."""
    now = int(time.time())
    state = ReadingState(
        book_id,
        percentage=percentage,
        last_read_at=now - int(read_days_ago * DAY),
        started_at=now - int(started_days_ago * DAY),
        manual_status=manual,
    )
    if finished:
        state.finished_at = state.last_read_at
    stamp = clock.now_iso()

    user_id = await rt.accounts.first_admin_id()

    def write(conn: sqlite3.Connection) -> None:
        reading_rows.save_state(conn, user_id, state, stamp)
        if finished:
            reading_rows.add_finish(conn, user_id, book_id, state.started_at, state.finished_at or now)

    await rt.db.write(write)


def day(days_ago: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - days_ago * DAY))


def operations(fake: FakeHardcover, since: int = 0) -> list[str | None]:
    return fake.operations()[since:]


def invalid_requests(fake: FakeHardcover) -> list[str]:
    """Every recorded request the real schema would reject, or that sends undeclared variables."""
    problems = []
    for request in fake.requests:
        body = request.json or {}
        document = parse(body["query"])
        errors = validate(schema(), document)
        declared = {v.variable.name.value for d in document.definitions for v in d.variable_definitions or ()}
        extra = set(body.get("variables") or {}) - declared
        if errors or extra:
            problems.append(f"{body.get('operationName')}: {errors or extra}")
    return problems


def user_books_by_book(fake: FakeHardcover) -> dict[int, dict[str, Any]]:
    entries: dict[int, dict[str, Any]] = {}
    for entry in fake.user_books.values():
        assert entry["book_id"] not in entries, f"two library entries for Hardcover book {entry['book_id']}"
        entries[entry["book_id"]] = entry
    return entries


def reads_of(fake: FakeHardcover, user_book_id: int) -> list[dict[str, Any]]:
    return sorted(
        (r for r in fake.user_book_reads.values() if r["user_book_id"] == user_book_id), key=lambda r: r["id"]
    )
