"""Counting a search's matches within some statuses stays cheap however many books have the others.

A library search subtracts the inbox books that match; an inbox search subtracts the organized ones.
FTS5 turns a plain ``rowid IN (list)`` into one index lookup per listed book, each evaluating the
whole query again: with 500 books in review every library search cost 25-70 ms, and an inbox search
among 10,000 organized books 0.45 s. The cost is measured in SQLite virtual-machine steps, which do
not depend on the machine's speed or load.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.db import books as book_rows
from bookshelf.db.connection import connect_sync
from bookshelf.models import BOOK_STATUSES, INBOX_STATUSES, Book, BookFilter
from bookshelf.runtime import Runtime
from bookshelf.services.search import snapshots as search_snapshots
from bookshelf.services.search.service import Scope, build_plan, run_plan, scope_for
from bookshelf.services.search.vocabulary import Vocabulary
from tests.vm_steps import vm_steps

WORDS = ["river", "garden", "winter", "letters", "shadow", "mirror"]


async def _add_books(rt: Runtime, count: int, status: str) -> None:
    async with rt.db.write() as conn:
        for n in range(count):
            title = f"{WORDS[n % len(WORDS)]} {WORDS[n * 7 % len(WORDS)]} {n}"
            book = Book(id=str(uuid.uuid4()), status=status, title=title, authors=[f"Author {n % 13}"],
                        created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip
            await book_rows.insert(conn, book)


def _search(statuses: tuple[str, ...], query: str = "river") -> Callable[[sqlite3.Connection], tuple[int, int]]:
    plan = build_plan(query, Vocabulary([(w, 1) for w in WORDS]))
    assert plan is not None

    def run(conn: sqlite3.Connection) -> tuple[int, int]:
        rows, total = run_plan(conn, plan, scope_for(BookFilter(statuses=statuses)), 20, 0)
        return len(rows), total

    return run


def _cost(rt: Runtime, statuses: tuple[str, ...]) -> tuple[int, tuple[int, int]]:
    conn = connect_sync(rt.settings.db_path)
    try:
        answer = _search(statuses)(conn)
        return vm_steps(conn, _search(statuses)), answer
    finally:
        conn.close()


async def test_a_library_search_costs_about_the_same_with_hundreds_of_books_in_review(runtime: Runtime) -> None:
    await _add_books(runtime, 600, "organized")
    quiet, quiet_answer = _cost(runtime, ("organized",))
    await _add_books(runtime, 300, "review")
    busy, busy_answer = _cost(runtime, ("organized",))
    assert busy_answer == quiet_answer == (20, 100)
    # Checking 300 more listed books is ~14 steps each; a lookup per book was ~180 each.
    assert busy < quiet + 300 * 30, (quiet, busy)


async def test_an_inbox_search_does_not_pay_per_organized_book(runtime: Runtime) -> None:
    await _add_books(runtime, 30, "review")
    small, small_answer = _cost(runtime, ("review",))
    await _add_books(runtime, 900, "organized")
    large, large_answer = _cost(runtime, ("review",))
    assert large_answer == small_answer == (5, 5)
    assert large < small + 900 * 10, (small, large)


# The books not organized: from none to all 60, so both sides of the per-book lookup threshold.
INBOX = st.lists(st.sampled_from(INBOX_STATUSES), max_size=60)
SCOPES = st.lists(st.sampled_from(BOOK_STATUSES), min_size=1, max_size=3, unique=True).map(tuple)


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inbox=INBOX, scope=SCOPES, query=st.sampled_from([*WORDS, "rivr", "garden winter", "letter"]))
async def test_status_scoped_counts_agree_with_a_plain_join(
    runtime: Runtime, inbox: list[str], scope: tuple[str, ...], query: str
) -> None:
    """Whichever way the count is taken (few or many books of the other statuses), it is the true one."""
    conn = connect_sync(runtime.settings.db_path)
    try:
        if not conn.execute("SELECT count(*) FROM books").fetchone()[0]:
            await _add_books(runtime, 60, "organized")
        statuses = inbox + ["organized"] * (60 - len(inbox))
        for num, status in enumerate(statuses, start=1):
            conn.execute("UPDATE books SET status = ? WHERE num = ?", (status, num))
        plan = build_plan(query, Vocabulary([(w, 1) for w in WORDS]))
        assert plan is not None
        _, fast = run_plan(conn, plan, scope_for(BookFilter(statuses=scope)), 100, 0)
        _, joined = run_plan(conn, plan, Scope(BookFilter(statuses=scope)), 100, 0)
        assert fast == joined
    finally:
        conn.close()


async def test_inbox_words_never_hold_a_search_for_a_vocabulary_build(runtime: Runtime) -> None:
    """An import streaming in moves the index on every book; searches answer from the snapshot meanwhile."""
    await _add_books(runtime, 20, "organized")
    first = await runtime.search.vocabulary()
    assert first is not None and "river" in first
    await _add_books(runtime, 3, "review")
    async with runtime.db.write() as conn:
        book = Book(id=str(uuid.uuid4()), status="review", title="Zanzibar Quay", authors=["Nobody"],
                    created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip
        await book_rows.insert(conn, book)
    assert await runtime.search.vocabulary() is first  # answered at once; a new one builds behind it
    assert [n for n in await runtime.search.match("zanzibar", ("review",))]  # FTS itself finds it now
    await runtime.search.refresh()
    assert "zanzibar" in (await runtime.search.vocabulary() or ())


async def test_a_library_edit_or_an_approval_is_corrected_towards_at_once(runtime: Runtime) -> None:
    await _add_books(runtime, 20, "organized")
    assert await runtime.search.vocabulary() is not None
    added = Book(id=str(uuid.uuid4()), status="organized", title="Quixotic Lanterns", authors=["Someone"],
                 created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip
    async with runtime.db.write() as conn:
        await book_rows.insert(conn, added)
    assert len(await runtime.search.match("lantrens", ("organized",))) == 1  # a typo, corrected at once
    arriving = Book(id=str(uuid.uuid4()), status="review", title="Marmalade Orchards", authors=["Someone"],
                    created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip
    async with runtime.db.write() as conn:
        await book_rows.insert(conn, arriving)
    assert "orchards" not in (await runtime.search.vocabulary() or ())  # inbox words: built later
    async with runtime.db.write() as conn:
        await book_rows.set_status(conn, arriving.id, "organized", None, "2026-01-02T00:00:00Z")
    # The approval brings its words into the library, so the next search rebuilds before answering.
    assert len(await runtime.search.match("orchrads", ("organized",))) == 1


async def test_an_import_rebuilds_the_vocabulary_rarely_and_a_library_edit_overtakes_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each background build holds the interpreter; while only inbox words change they wait a minute."""
    monkeypatch.setattr(search_snapshots, "REBUILD_INTERVAL_SECONDS", 0.2)
    monkeypatch.setattr(search_snapshots, "INBOX_REBUILD_INTERVAL_SECONDS", 30.0)
    await _add_books(runtime, 20, "organized")
    assert await runtime.search.vocabulary() is not None
    monkeypatch.setattr(search_snapshots, "INLINE_BUILD_TERMS", 0)  # as a large library: builds in the background
    await _add_named(runtime, "Zanzibar Quay", "review")
    await runtime.search.vocabulary()
    await asyncio.sleep(0.6)
    assert "zanzibar" not in (await runtime.search.vocabulary() or ())  # inbox words: not yet
    await _add_named(runtime, "Quixotic Lanterns", "organized")
    await runtime.search.vocabulary()  # a library change: due after the short interval instead
    await asyncio.sleep(0.6)
    vocabulary = await runtime.search.vocabulary()
    assert vocabulary is not None and "quixotic" in vocabulary and "zanzibar" in vocabulary


async def _add_named(rt: Runtime, title: str, status: str) -> None:
    book = Book(id=str(uuid.uuid4()), status=status, title=title, authors=["Someone"],
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")  # fmt: skip
    async with rt.db.write() as conn:
        await book_rows.insert(conn, book)
