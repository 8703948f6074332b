"""The real watcher and consumer on a real inbox folder: files dropped in end up in review."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bookshelf.runtime import Runtime
from bookshelf.services.ingest.pipeline import Unsupported
from bookshelf.settings import Settings
from tests.builders import make_epub
from tests.conftest import make_settings
from tests.ingest.conftest import wait_for, write_epub


@pytest.fixture
def watch_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, start_watcher=True, start_consumer=True, watch_settle_seconds=0.2)


@pytest.fixture
async def watching(watch_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(watch_settings)
    try:
        yield rt
    finally:
        await rt.close()


async def counts(rt: Runtime) -> dict[str, int]:
    rows = await rt.db.fetchall("SELECT status, count(*) FROM books GROUP BY status")
    return {row[0]: row[1] for row in rows}


async def _equals(rt: Runtime, sql: str, n: int) -> bool:
    return (await rt.db.fetchone(sql))[0] == n


async def in_review(rt: Runtime, n: int) -> bool:
    return (await counts(rt)).get("review", 0) == n


async def test_dropped_files_reach_review_and_leave_the_inbox_empty(watching: Runtime, tmp_path: Path) -> None:
    inbox = watching.settings.inbox_dir
    write_epub(inbox, "one.epub", "One")
    write_epub(inbox / "nested" / "deeper", "two.epub", "Two")
    await wait_for(lambda: in_review(watching, 2), what="two books in review")
    assert list(inbox.iterdir()) == [], "imported files and their emptied folders are gone from the inbox"
    titles = {row[0] for row in await watching.db.fetchall("SELECT title FROM books")}
    assert titles == {"One", "Two"}
    # Both parsed (the book is in review before its parse job is recorded as completed); their
    # lookups wait for Open Library, which is not reachable here.
    parsed = "SELECT count(*) FROM jobs WHERE queue = 'parse' AND state = 'completed'"
    await wait_for(lambda: _equals(watching, parsed, 2), what="both parse jobs recorded")
    assert (await watching.db.fetchone("SELECT count(*) FROM jobs WHERE task = 'lookup_metadata'"))[0] == 2
    health = watching.component_status()
    assert health == {"queue": True, "watcher": True}


async def test_files_present_at_start_are_taken(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, start_watcher=True, start_consumer=True, watch_settle_seconds=0.2)
    write_epub(settings.inbox_dir, "early.epub", "Early Bird")
    rt = await Runtime.open(settings)
    try:
        await wait_for(lambda: in_review(rt, 1), what="the pre-existing file in review")
    finally:
        await rt.close()


async def test_temporary_names_wait_until_renamed(watching: Runtime, tmp_path: Path) -> None:
    inbox = watching.settings.inbox_dir
    names = ["book.epub.part", "book.crdownload", "book.tmp", "~$book.epub", ".hidden.epub", ".syncthing.book.epub.tmp"]
    for name in names:
        make_epub(inbox / name, title=name)
    await asyncio.sleep(1.0)  # give the watcher every chance to (wrongly) take them
    assert await counts(watching) == {}
    assert sorted(p.name for p in inbox.iterdir()) == sorted(names)
    (inbox / "book.epub.part").rename(inbox / "book.epub")
    await wait_for(lambda: in_review(watching, 1), what="the renamed download")
    assert not (inbox / "book.epub").exists()


async def test_a_growing_file_is_taken_only_once_complete(watching: Runtime, tmp_path: Path) -> None:
    source = make_epub(tmp_path / "slow.epub", title="Slow Writer", body_bytes=200_000)
    data = source.read_bytes()
    target = watching.settings.inbox_dir / "slow.epub"
    with open(target, "wb") as handle:
        for start in range(0, len(data), 4096):
            handle.write(data[start : start + 4096])
            handle.flush()
            await asyncio.sleep(0.005)
    await wait_for(lambda: in_review(watching, 1), what="the slowly written book in review")
    row = await watching.db.fetchone("SELECT size FROM files")
    assert row[0] == len(data)


async def test_unsupported_files_stay_and_are_logged_once(watching: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    inbox = watching.settings.inbox_dir
    caplog.set_level(logging.WARNING, logger="bookshelf.watcher")
    (inbox / "readme.txt").write_text("not a book")
    (inbox / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    write_epub(inbox, "real.epub", "Real")
    await wait_for(lambda: in_review(watching, 1), what="the real book")
    await wait_for(lambda: _logged(caplog, 2), what="two warnings")
    (inbox / "readme.txt").touch()  # another change event; photo.jpg, unchanged, is not reported again
    await asyncio.sleep(0.6)
    assert (inbox / "readme.txt").exists() and (inbox / "photo.jpg").exists()
    warnings = [r for r in caplog.records if "left" in r.getMessage()]
    assert sum("photo.jpg" in r.getMessage() for r in warnings) == 1


async def _logged(caplog: pytest.LogCaptureFixture, n: int) -> bool:
    return sum("left" in r.getMessage() for r in caplog.records) >= n


async def test_damaged_book_named_like_a_book_fails_visibly(watching: Runtime) -> None:
    inbox = watching.settings.inbox_dir
    (inbox / "broken.epub").write_bytes(b"PK\x03\x04" + b"\x00" * 200)

    async def failed() -> bool:
        return (await counts(watching)).get("failed", 0) == 1

    await wait_for(failed, what="a failed book")
    row = await watching.db.fetchone("SELECT error FROM books")
    assert "damaged" in row[0]
    assert not (inbox / "broken.epub").exists()


async def test_sixty_file_concurrent_drop(watching: Runtime, tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(60):
        make_epub(staging / f"book-{i:02d}.epub", title=f"Concurrent {i:02d}", authors=[f"Writer {i % 7}"])
    # Two copies of the same book among them: one is imported, one kept as a duplicate.
    shutil.copy(staging / "book-00.epub", staging / "book-00-copy.epub")
    inbox = watching.settings.inbox_dir

    async def copy(name: str) -> None:
        await asyncio.to_thread(shutil.copy, staging / name, inbox / name)

    await asyncio.gather(*(copy(p.name) for p in sorted(staging.iterdir())))
    await wait_for(lambda: in_review(watching, 60), timeout=60, what="60 books in review")
    titles = [row[0] for row in await watching.db.fetchall("SELECT title FROM books ORDER BY title")]
    assert titles == [f"Concurrent {i:02d}" for i in range(60)], "none lost, none doubled"
    parse_left = "SELECT count(*) FROM jobs WHERE queue = 'parse' AND state <> 'completed'"
    await wait_for(lambda: _equals(watching, parse_left, 0), what="every parse job recorded")
    assert (await watching.db.fetchone("SELECT max(attempts) FROM jobs"))[0] == 1, "no job retried on contention"
    assert [p.name for p in watching.settings.duplicates_dir.iterdir()] in (["book-00.epub"], ["book-00-copy.epub"])
    assert list(inbox.iterdir()) == []


async def test_polling_mode_and_an_inbox_on_another_filesystem(tmp_path: Path) -> None:
    """A NAS-style inbox: polled, and on a different filesystem, so files arrive by verified copy."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a filesystem other than the temp folder")
    inbox = shm / f"bookshelf-inbox-{tmp_path.name}-{id(tmp_path)}"
    settings = make_settings(tmp_path, start_watcher=True, start_consumer=True, watch_settle_seconds=0.2,
                             watch_poll=True, inbox_dir=str(inbox))  # fmt: skip
    rt = await Runtime.open(settings)
    try:
        source = write_epub(inbox / "sub", "far.epub", "From Far Away")
        data = source.read_bytes()
        await wait_for(lambda: in_review(rt, 1), what="the polled, copied book")
        row = await rt.db.fetchone("SELECT book_id, path FROM files")
        assert (settings.incoming_dir / row[1]).read_bytes() == data
        assert list(inbox.iterdir()) == [], "source removed only after the verified copy, with its folder"
    finally:
        await rt.close()
        shutil.rmtree(inbox, ignore_errors=True)


async def test_symlinks_in_the_inbox_are_not_followed(watching: Runtime, tmp_path: Path) -> None:
    outside = make_epub(tmp_path / "outside.epub", title="Outside The Inbox")
    inbox = watching.settings.inbox_dir
    (inbox / "link.epub").symlink_to(outside)
    write_epub(inbox, "real.epub", "Real One")
    await wait_for(lambda: in_review(watching, 1), what="the real book")
    await asyncio.sleep(0.5)
    assert await counts(watching) == {"review": 1}
    assert (inbox / "link.epub").is_symlink() and outside.is_file()
    with pytest.raises(Unsupported):
        await watching.ingest.accept(inbox / "link.epub")


async def test_settle_wait_counts_from_the_last_write(tmp_path: Path) -> None:
    """A file whose last write was long ago (moved in whole) is taken at once; a fresh one waits."""
    settings = make_settings(tmp_path, start_watcher=True, start_consumer=True, watch_settle_seconds=3.0)
    rt = await Runtime.open(settings)
    try:
        old = make_epub(tmp_path / "old.epub", title="Finished Long Ago")
        os.utime(old, (time.time() - 3600, time.time() - 3600))
        fresh = make_epub(tmp_path / "fresh.epub", title="Just Written")
        started = time.monotonic()
        os.rename(old, settings.inbox_dir / "old.epub")
        os.rename(fresh, settings.inbox_dir / "fresh.epub")
        await wait_for(lambda: in_review(rt, 1), what="the old file")
        assert time.monotonic() - started < 2.5, "no settle wait for a file unchanged for an hour"
        assert (settings.inbox_dir / "fresh.epub").exists(), "the fresh file is still settling"
        await wait_for(lambda: in_review(rt, 2), what="the fresh file")
        assert time.monotonic() - started >= 2.9
    finally:
        await rt.close()
