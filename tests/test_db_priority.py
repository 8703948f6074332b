"""The writer serves requests before background work, and a cancelled waiter never strands it."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
