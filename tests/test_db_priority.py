"""The writer serves requests before background work, and a cancelled waiter never strands it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.db import Database
from bookshelf.db.migrate import migrate
from bookshelf.priority import mark_background


async def test_a_request_writes_before_queued_background_work(tmp_path: Path) -> None:
    migrate(tmp_path / "b.db")
    db = Database(tmp_path / "b.db")
    await db.open()
    order: list[str] = []
    release = asyncio.Event()

    async def holder() -> None:
        mark_background()
        async with db.write():
            await release.wait()

    async def writer(name: str, background: bool) -> None:
        if background:
            mark_background()
        async with db.write() as conn:
            await conn.execute("SELECT 1")
            order.append(name)

    try:
        held = asyncio.create_task(holder())
        await asyncio.sleep(0.05)
        queued = [asyncio.create_task(writer(f"ingest {i}", True)) for i in range(3)]
        await asyncio.sleep(0.05)
        cancelled = asyncio.create_task(writer("gone", False))
        request = asyncio.create_task(writer("kosync", False))
        await asyncio.sleep(0.05)
        cancelled.cancel()
        release.set()
        await asyncio.gather(held, request, *queued)
        assert order == ["kosync", "ingest 0", "ingest 1", "ingest 2"]
        async with db.write() as conn:  # and the lock is free again
            await conn.execute("SELECT 1")
    finally:
        await db.close()


async def test_writes_waiting_together_each_keep_their_own_transaction(tmp_path: Path) -> None:
    """One-trip writes queued behind the lock go to the writer together, but each commits or
    fails alone, in the order the lock serves (requests first), and a cancelled one never runs."""
    migrate(tmp_path / "b.db")
    db = Database(tmp_path / "b.db")
    await db.open()
    release = asyncio.Event()

    async def holder() -> None:
        async with db.write() as conn:
            await conn.execute("CREATE TABLE t (n INTEGER, kind TEXT)")
            await release.wait()

    def insert(n: int, kind: str, fail: bool = False):
        def work(conn):
            conn.execute("INSERT INTO t VALUES (?, ?)", (n, kind))
            if fail:
                raise ValueError(f"write {n} refused")
            return n

        return work

    async def background_insert(n: int) -> int:
        mark_background()
        return await db.write(insert(n, "background"))

    try:
        held = asyncio.create_task(holder())
        await asyncio.sleep(0.05)
        later = [asyncio.create_task(background_insert(n)) for n in (100, 101)]
        await asyncio.sleep(0.01)
        requests = [asyncio.create_task(db.write(insert(n, "request", fail=n == 3))) for n in range(6)]
        gone = asyncio.create_task(db.write(insert(99, "request")))
        await asyncio.sleep(0.05)
        gone.cancel()
        release.set()
        await held
        outcomes = await asyncio.gather(*requests, *later, return_exceptions=True)
        assert outcomes[:3] == [0, 1, 2] and outcomes[4:] == [4, 5, 100, 101]
        assert isinstance(outcomes[3], ValueError) and "write 3 refused" in str(outcomes[3])
        rows = await db.fetchall("SELECT n, kind FROM t ORDER BY rowid")
        assert [tuple(r) for r in rows] == [(0, "request"), (1, "request"), (2, "request"), (4, "request"),
                                            (5, "request"), (100, "background"), (101, "background")]  # fmt: skip
        assert await db.write(insert(7, "request")) == 7  # and the writer is free again
    finally:
        await db.close()


async def test_a_write_now_goes_through_only_when_no_transaction_holds_the_file(tmp_path: Path) -> None:
    """try_write_now writes on the loop at once when SQLite's write lock is free, and when a
    transaction holds it says so without waiting or writing anything; write(on_loop=True) then
    queues it behind that transaction."""
    import time

    migrate(tmp_path / "b.db")
    db = Database(tmp_path / "b.db")
    await db.open()

    def insert(n: int):
        def work(conn):
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            return n

        return work

    try:
        async with db.write() as conn:
            await conn.execute("CREATE TABLE t (n INTEGER)")
        assert db.try_write_now(insert(1)) == (True, 1)
        release = asyncio.Event()
        inside = asyncio.Event()

        async def holder() -> None:
            async with db.write() as conn:
                await conn.execute("INSERT INTO t VALUES (2)")  # the writer's thread now holds the file
                inside.set()
                await release.wait()

        held = asyncio.create_task(holder())
        await inside.wait()
        started = time.perf_counter()
        assert db.try_write_now(insert(3)) == (False, None)
        assert time.perf_counter() - started < 0.05, "it must not wait for the lock on the loop"
        queued = asyncio.create_task(db.write(insert(4), on_loop=True))
        await asyncio.sleep(0.05)
        assert not queued.done()
        release.set()
        await held
        assert await queued == 4
        rows = await db.fetchall("SELECT n FROM t ORDER BY rowid")
        assert [r[0] for r in rows] == [1, 2, 4]
    finally:
        await db.close()


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=24))
async def test_any_mix_of_waiting_writes_keeps_each_its_own_outcome(tmp_path: Path, writes) -> None:
    """(background, fails, cancelled) for each write queued behind a held lock: every write not
    cancelled gets its own result or error, only the successful ones' rows exist, and requests
    commit before background work, each class in arrival order."""
    path = tmp_path / f"mix-{uuid.uuid4().hex}.db"
    migrate(path)
    db = Database(path)
    await db.open()
    release = asyncio.Event()

    async def holder() -> None:
        async with db.write() as conn:
            await conn.execute("CREATE TABLE t (n INTEGER)")
            await release.wait()

    def insert(n: int, fail: bool):
        def work(conn):
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            if fail:
                raise ValueError(f"write {n} refused")
            return n

        return work

    async def write(n: int, background: bool, fail: bool) -> int:
        if background:
            mark_background()
        return await db.write(insert(n, fail))

    try:
        held = asyncio.create_task(holder())
        await asyncio.sleep(0.02)
        tasks = [asyncio.create_task(write(n, bg, fail)) for n, (bg, fail, _) in enumerate(writes)]
        await asyncio.sleep(0.02)
        for task, (_, _, cancelled) in zip(tasks, writes, strict=True):
            if cancelled:
                task.cancel()
        release.set()
        await held
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        for n, (outcome, (_, fail, cancelled)) in enumerate(zip(outcomes, writes, strict=True)):
            if cancelled:
                assert isinstance(outcome, asyncio.CancelledError)
            elif fail:
                assert isinstance(outcome, ValueError) and f"write {n} refused" in str(outcome)
            else:
                assert outcome == n
        landed = [n for n, (_, fail, cancelled) in enumerate(writes) if not fail and not cancelled]
        expected = [n for n in landed if not writes[n][0]] + [n for n in landed if writes[n][0]]
        assert [r[0] for r in await db.fetchall("SELECT n FROM t ORDER BY rowid")] == expected
    finally:
        await db.close()
