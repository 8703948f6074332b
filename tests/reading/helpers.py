"""Books with files in the database, and KOReader's request headers, for the reading tests."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from bookshelf import clock
from bookshelf.db import books
from bookshelf.models import Book, BookFile, Progress
from bookshelf.runtime import Runtime

USER = "reader"
PASSWORD = "correct horse"
KOREADER_ACCEPT = "application/vnd.koreader.v1+json"


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def koreader_headers(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    """What KOReader's Spore client sends on authenticated calls (lowercase names)."""
    return {
        "accept": KOREADER_ACCEPT,
        "x-auth-user": user,
        "x-auth-key": md5(password),
        "user-agent": "lua-Spore",
    }


async def set_kosync_user(rt: Runtime, user: str = USER, password: str = PASSWORD) -> None:
    await rt.credentials.set(await rt.accounts.first_admin_id(), "kosync", {"username": user, "password": password})


async def add_book(
    rt: Runtime,
    title: str,
    authors: Sequence[str] = ("Ann Author",),
    *,
    status: str = "organized",
    genres: Sequence[str] = (),
    hashes: Sequence[str] = (),
    filename: str | None = None,
    fmt: str = "epub",
    size: int = 1000,
) -> Book:
    """A book row with one file per KOReader hash (none when ``hashes`` is empty)."""
    now = clock.now_iso()
    book = Book(
        id=str(uuid.uuid4()), status=status, title=title, authors=list(authors), genres=list(genres),
        created_at=now, updated_at=now, organized_at=now if status == "organized" else None,
    )  # fmt: skip
    async with rt.db.write() as conn:
        await books.insert(conn, book)
        for n, koreader_hash in enumerate(hashes):
            name = filename or f"{title}{'' if n == 0 else f' ({n})'}.{fmt}"
            file = BookFile(
                id=str(uuid.uuid4()), book_id=book.id, format=fmt, root="library", path=f"{book.id}/{name}",
                filename=name, size=size, sha256=hashlib.sha256(koreader_hash.encode()).hexdigest(),
                koreader_hash=koreader_hash, page_count=None, added_at=now,
            )  # fmt: skip
            await books.insert_file(conn, file)
            await books.record_hashes(conn, file.id, now, filenames=[name])
            book.files.append(file)
    return book


async def record(
    rt: Runtime,
    document: str,
    percentage: float,
    at: int,
    device: str = "kobo",
    device_id: str | None = None,
    user_id: str | None = None,
) -> None:
    """A KOReader write at a chosen moment, through the same service the PUT handler calls
    (the first admin's unless ``user_id`` says whose)."""
    update = Progress(
        document=document,
        device=device,
        percentage=percentage,
        progress=str(int(percentage * 100)),
        device_id=device_id or md5(device).upper(),
    )
    await rt.reading.record(user_id or await rt.accounts.first_admin_id(), update, at=at)
