"""db.write(inline(work)) and db.read(inline(work)): the db functions run in one trip, all or nothing."""

from __future__ import annotations

import asyncio

import aiosqlite
import pytest

from bookshelf.db import books as book_rows
from bookshelf.db.connection import fetchone, inline
from bookshelf.models import Book
from bookshelf.runtime import Runtime


def _book(title: str) -> Book:
    return Book(id=f"id-{title}", status="organized", title=title, authors=["Ann Author"], genres=["Tag"],
                series="Saga", created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip


async def test_transaction_runs_the_db_functions_and_commits(runtime: Runtime) -> None:
    book = _book("Inline")
    num = await runtime.db.write(inline(lambda conn: book_rows.insert(conn, book)), durable=True)
    assert num == book.num
    got = await runtime.db.read(inline(lambda conn: book_rows.get(conn, book.id)))
    assert got is not None and got.title == "Inline" and got.authors == ["Ann Author"] and got.series == "Saga"


async def test_transaction_rolls_back_on_error(runtime: Runtime) -> None:
    async def half(conn: aiosqlite.Connection) -> None:
        await book_rows.insert(conn, _book("Half"))
        raise ValueError("stop")

    with pytest.raises(ValueError):
        await runtime.db.write(inline(half))
    row = await runtime.db.read(inline(lambda conn: fetchone(conn, "SELECT count(*) AS n FROM books")))
    assert row is not None and row["n"] == 0
    async with runtime.db.write() as conn:  # the writer is usable again, outside any transaction
        await book_rows.insert(conn, _book("After"))


async def test_work_that_awaits_anything_else_is_refused(runtime: Runtime) -> None:
    async def sleeps(conn: aiosqlite.Connection) -> None:
        await book_rows.insert(conn, _book("Sleepy"))
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="awaited something other"):
        await runtime.db.write(inline(sleeps))
    row = await runtime.db.read(inline(lambda conn: fetchone(conn, "SELECT count(*) AS n FROM books")))
    assert row is not None and row["n"] == 0
