"""Work queued before a shutdown or crash runs after the next start."""

from __future__ import annotations

from pathlib import Path

from bookshelf.db.priority import PriorityLock
from bookshelf.runtime import Runtime
from tests.conftest import make_settings
from tests.ingest.conftest import book_status, wait_for, write_epub


async def test_queued_work_survives_a_restart(tmp_path: Path) -> None:
    quiet = make_settings(tmp_path, start_consumer=False)
    source = write_epub(tmp_path / "drop", "later.epub", "Parsed After Restart")
    rt = await Runtime.open(quiet)
    try:
        book_id = (await rt.ingest.accept(source)).book_id
        assert rt.queue.queued_ids(), "the parse task sits in Huey's file"
    finally:
        await rt.close()
    assert not source.exists()

    rt = await Runtime.open(quiet.replace(start_consumer=True))
    try:
        await wait_for(lambda: _review(rt, book_id), what="the queued book to finish after restart")
        await wait_for(lambda: _parse_recorded(rt), what="the parse job recorded as completed")
        rows = await rt.db.fetchall("SELECT task, state, attempts FROM jobs ORDER BY created_at")
        assert tuple(rows[0]) == ("parse_book", "completed", 1)
        # The lookup was queued after the parse; Open Library is not reachable here, so it waits for
        # the provider to come back instead of completing with nothing.
        assert [tuple(r)[:2] for r in rows[1:]] == [("lookup_metadata", rows[1]["state"])]
        assert rows[1]["state"] in ("waiting", "active", "delayed") and rows[1]["attempts"] <= 1
    finally:
        await rt.close()


async def test_a_job_running_when_the_process_died_runs_again(tmp_path: Path) -> None:
    quiet = make_settings(tmp_path, start_consumer=False)
    rt = await Runtime.open(quiet)
    try:
        book_id = (await rt.ingest.accept(write_epub(tmp_path / "drop", "crash.epub", "Crashed Mid-Parse"))).book_id
        # A crash mid-task: Huey had already dequeued it, our table still says active.
        rt.queue.huey.flush()
        async with rt.db.write() as conn:
            await conn.execute("UPDATE jobs SET state = 'active', attempts = 1")
    finally:
        await rt.close()

    rt = await Runtime.open(quiet.replace(start_consumer=True))
    try:
        await wait_for(lambda: _review(rt, book_id), what="the interrupted job to run again")
        await wait_for(lambda: _parse_recorded(rt), what="the parse job recorded as completed")
        row = await rt.db.fetchone("SELECT state, attempts FROM jobs WHERE task = 'parse_book'")
        assert tuple(row) == ("completed", 2)
    finally:
        await rt.close()


async def test_a_file_not_yet_moved_is_placed_when_seen_again(tmp_path: Path) -> None:
    """The process stopped after committing a book but before moving its file: the next sighting
    of the same bytes finishes the move instead of calling it a duplicate."""
    settings = make_settings(tmp_path, start_consumer=True)
    source = write_epub(settings.inbox_dir, "halfway.epub", "Halfway")
    rt = await Runtime.open(settings)
    try:
        book_id = (await rt.ingest.accept(source, keep_source=True)).book_id
        stored = settings.incoming_dir / book_id / "halfway.epub"
        await wait_for(lambda: _review(rt, book_id), what="review")
        stored.unlink()  # as if the move had never happened
        result = await rt.ingest.accept(source)
        assert not result.duplicate and result.book_id == book_id
        assert stored.is_file() and not source.exists()
        assert list(settings.duplicates_dir.iterdir()) == []
    finally:
        await rt.close()


async def _parse_recorded(rt: Runtime) -> bool:
    row = await rt.db.fetchone("SELECT count(*) FROM jobs WHERE task = 'parse_book' AND state = 'completed'")
    return row[0] == 1


async def _review(rt: Runtime, book_id: str) -> bool:
    return await book_status(rt, book_id) == "review"


async def test_a_rerun_parse_racing_the_finished_lookup_leaves_no_stage(tmp_path: Path) -> None:
    # Found by scripts/crash_harness.py: after a SIGKILL both the requeued parse and the lookup it
    # had queued ran at once; the parse read "processing", the lookup moved the book to review,
    # then the parse wrote stage 'parsing', and the review book was listed as processing for ever.
    import asyncio

    rt = await Runtime.open(make_settings(tmp_path, start_consumer=False))
    try:
        book_id = (await rt.ingest.accept(write_epub(tmp_path / "drop", "race.epub", "Raced"))).book_id
        async with rt.db.write() as conn:
            await conn.execute("UPDATE books SET stage = 'fetching_metadata' WHERE id = ?", (book_id,))
        lock = rt.db._write_lock
        async with rt.db.write() as conn:
            parse = asyncio.create_task(rt.ingest.parse_source(book_id))
            await wait_for(lambda: _blocked(lock), what="the parse to wait for the writer")
            await conn.execute("UPDATE books SET status = 'review', stage = NULL WHERE id = ?", (book_id,))
        await parse
        row = await rt.db.fetchone("SELECT status, stage FROM books WHERE id = ?", (book_id,))
        assert tuple(row) == ("review", None)
        assert await rt.inbox.stages() == {}
    finally:
        await rt.close()


async def _blocked(lock: PriorityLock) -> bool:
    return lock.waiters() > 0
