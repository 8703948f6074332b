"""Sync scenarios against the stateful fake Hardcover, checked by what Hardcover would show."""

from __future__ import annotations

import time

import httpx

from bookshelf.db import hardcover as rows
from bookshelf.db.hardcover import Link
from bookshelf.runtime import Runtime
from bookshelf.services.hardcover.sync import HardcoverSyncService
from tests.fakes.common import FakeClock, Fault
from tests.fakes.hardcover import FakeHardcover, Token
from tests.hardcover.helpers import (
    DAY,
    add_book,
    day,
    hardcover_id,
    invalid_requests,
    isbn13,
    reads_of,
    set_state,
    user_books_by_book,
)
from tests.reading.helpers import record


def pages_of(n: int) -> int:
    return 200 + n  # the catalogue's page counts


async def test_first_sync_of_50_books(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover, hc_clock: FakeClock
) -> None:
    expected = {}
    for n in range(1, 51):
        book = await add_book(runtime, f"Harbour Lights Volume {n}", [f"Author Number{n}"], isbn=isbn13(n))
        if n % 5 == 0:
            await set_state(runtime, book.id, 1.0, finished=True, read_days_ago=2, started_days_ago=9)
            expected[n] = (3, pages_of(n))
        elif n % 7 == 0:
            await set_state(runtime, book.id, 0.5, read_days_ago=45, started_days_ago=60)  # paused
            expected[n] = (4, round(0.5 * pages_of(n)))
        else:
            await set_state(runtime, book.id, n / 100, read_days_ago=1)
            expected[n] = (2, round(n / 100 * pages_of(n)))
    unread = await add_book(runtime, "Harbour Lights Volume 55", ["Author Number55"], isbn=isbn13(55))

    result = await hc.sync_now(admin)

    assert result is not None and result.pushed == 50 and result.failed == 0
    shown = user_books_by_book(fake)
    assert set(shown) == {hardcover_id(n) for n in range(1, 51)}  # the unread book is not announced
    for n, (status, pages) in expected.items():
        entry = shown[hardcover_id(n)]
        assert entry["status_id"] == status, n
        (read,) = reads_of(fake, entry["id"])
        assert read["progress_pages"] == pages, n
        if status == 3:
            assert read["finished_at"] == day(2) and read["started_at"] == day(9)
        else:
            assert read["finished_at"] is None
    assert invalid_requests(fake) == []
    assert len(fake.requests) > 150  # enough calls that only the limiter keeps them under 60 a minute
    assert fake.requests_within(60) <= 60
    assert max(hc_clock.sleeps) < 10  # paced, never throttled into long waits
    async with runtime.db.read() as conn:
        assert await rows.get_link(conn, admin, unread.id) is None  # nothing to push, so no lookup spent on it


async def test_rerun_with_nothing_changed_sends_nothing(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    for n in range(1, 6):
        book = await add_book(runtime, f"Harbour Lights Volume {n}", ["Author Number{n}"], isbn=isbn13(n))
        await set_state(runtime, book.id, 0.2)
    await hc.sync_now(admin)
    before = len(fake.requests)
    result = await hc.sync_now(admin)
    assert result is not None and result.pushed == 0 and result.unchanged == 5
    assert fake.operations()[before:] == ["WhoAmI"]  # the token check, nothing else


async def test_progress_over_a_week_updates_one_read(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    await add_book(runtime, "Harbour Lights Volume 3", ["Author Number3"], isbn=isbn13(3), document="a" * 32)
    start = int(time.time()) - 6 * DAY
    for days, percentage in ((0, 0.05), (1, 0.2), (3, 0.45), (6, 0.7)):
        await record(runtime, "a" * 32, percentage, start + days * DAY)  # what KOReader's PUT stores
        await hc.sync_now(admin)
        (entry,) = fake.user_books.values()
        (read,) = reads_of(fake, entry["id"])
        assert entry["status_id"] == 2
        assert read["progress_pages"] == round(percentage * pages_of(3))
        assert read["started_at"] == day(6)
    inserts = [op for op in fake.operations() if op in ("AddToLibrary", "StartRead")]
    assert inserts == ["AddToLibrary", "StartRead"]  # later days only updated the same read


async def test_finishing_marks_read_with_the_finish_date(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    await add_book(runtime, "Harbour Lights Volume 4", ["Author Number4"], isbn=isbn13(4), document="b" * 32)
    now = int(time.time())
    await record(runtime, "b" * 32, 0.4, now - 3 * DAY)
    await hc.sync_now(admin)
    await record(runtime, "b" * 32, 0.99, now - DAY)  # over finishedThreshold
    await hc.sync_now(admin)
    (entry,) = fake.user_books.values()
    (read,) = reads_of(fake, entry["id"])
    assert entry["status_id"] == 3
    assert read["finished_at"] == day(1) and read["started_at"] == day(3)
    assert read["progress_pages"] == pages_of(4) and read["progress"] == 100.0
    # Reading it again later opens a new read; the finished one is never reopened.
    await record(runtime, "b" * 32, 0.03, now)
    await hc.sync_now(admin)
    first, second = reads_of(fake, entry["id"])
    assert first["finished_at"] == day(1) and second["finished_at"] is None
    assert fake.user_books[entry["id"]]["status_id"] == 2


async def test_paused_and_manual_statuses(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    paused = await add_book(runtime, "Harbour Lights Volume 6", ["Author Number6"], isbn=isbn13(6))
    await set_state(runtime, paused.id, 0.3, read_days_ago=40, started_days_ago=50)
    manual = await add_book(runtime, "Harbour Lights Volume 8", ["Author Number8"], isbn=isbn13(8))
    await set_state(runtime, manual.id, None, manual="finished")
    never = await add_book(runtime, "Harbour Lights Volume 9", ["Author Number9"], isbn=isbn13(9))
    await set_state(runtime, never.id, None, manual="unread")
    await hc.sync_now(admin)
    shown = user_books_by_book(fake)
    assert shown[hardcover_id(6)]["status_id"] == 4
    assert reads_of(fake, shown[hardcover_id(6)]["id"])[0]["progress_pages"] == round(0.3 * pages_of(6))
    assert shown[hardcover_id(8)]["status_id"] == 3
    assert hardcover_id(9) not in shown  # unread is never sent as Want to Read
    assert all(entry["status_id"] != 1 for entry in shown.values())


async def test_revoked_token_stops_the_run_and_a_new_token_resumes(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    for n in range(1, 11):
        book = await add_book(runtime, f"Harbour Lights Volume {n}", [f"Author Number{n}"], isbn=isbn13(n))
        await set_state(runtime, book.id, 0.5, read_days_ago=n / 10)
    fake.tokens.pop("hc_pat_fake_good_token")  # revoked on hardcover.app after the first requests
    fake.fail_next(Fault(passthrough=True), 12)  # the first 12 requests still went through
    fake.tokens["hc_pat_fake_good_token"] = Token(fake.user_id)
    fake.fail_unauthorized(times=1000)

    assert await hc.sync_now(admin) is None  # stopped
    stopped_after = len(fake.requests)
    assert stopped_after == 13  # no call after the 401
    done = len(user_books_by_book(fake))
    assert 1 <= done < 10
    status = await hc.status(admin)
    assert status["connected"] is False and status["error"]["code"] == "invalid_token"

    fake.faults.clear()
    fake.tokens.clear()
    fake.tokens["hc_pat_new"] = Token(fake.user_id)
    await runtime.credentials.set(admin, "hardcover", {"token": "Bearer hc_pat_new"})
    result = await hc.sync_now(admin)
    assert result is not None and result.pushed == 10 - done
    assert len(user_books_by_book(fake)) == 10  # each book once, none twice
    for entry in fake.user_books.values():
        assert len(reads_of(fake, entry["id"])) == 1
    status = await hc.status(admin)
    assert status["connected"] is True and status["error"] is None and status["lastSyncAt"]


async def test_rate_limited_mid_run_waits_and_continues(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover, hc_clock: FakeClock
) -> None:
    for n in range(1, 9):
        book = await add_book(runtime, f"Harbour Lights Volume {n}", [f"Author Number{n}"], isbn=isbn13(n))
        await set_state(runtime, book.id, 0.25)
    fake.fail_next(Fault(passthrough=True), 7)
    fake.fail_rate_limited(retry_after=20)  # retried inside the client after 20 s
    fake.fail_next(Fault(passthrough=True), 9)
    fake.fail_rate_limited(retry_after=300, times=2)  # longer than a call may wait: the run pauses
    result = await hc.sync_now(admin)
    assert result is not None and result.pushed == 8 and result.failed == 0
    assert len(user_books_by_book(fake)) == 8
    assert 20 in hc_clock.sleeps and 300 in hc_clock.sleeps
    # Retry-After honoured: nothing was sent before the server's time was up.
    assert fake.requests[8].at - fake.requests[7].at >= 20
    assert fake.requests[19].at - fake.requests[18].at >= 300
    assert fake.requests_within(60) <= 60


async def test_user_link_is_never_overwritten(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover, api: httpx.AsyncClient
) -> None:
    book = await add_book(runtime, "Harbour Lights Volume 11", ["Author Number11"], isbn=isbn13(11))
    await set_state(runtime, book.id, 0.5)
    answer = await api.put(f"/api/library/{book.id}/hardcover", json={"bookId": hardcover_id(12)})
    assert answer.status_code == 200 and answer.json()["method"] == "user"
    await hc.sync_now(admin)
    assert set(user_books_by_book(fake)) == {hardcover_id(12)}  # not the ISBN's book 1011
    assert "EditionsByIsbn" not in fake.operations()
    # An automatic link arriving later (a run that looked it up meanwhile) does not replace it.
    async with runtime.db.write() as conn:
        assert not await rows.save_link(
            conn, admin, Link(book.id, hardcover_id(11), method="isbn"), "2026-01-01T00:00:00Z"
        )
        assert (await rows.get_link(conn, admin, book.id)).hardcover_book_id == hardcover_id(12)
    await set_state(runtime, book.id, 0.9)
    await hc.sync_now(admin)
    assert set(user_books_by_book(fake)) == {hardcover_id(12)}
    assert reads_of(fake, fake.user_books.popitem()[0])[0]["progress_pages"] == round(0.9 * pages_of(12))


async def test_search_links_only_when_confident(
    runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover, api: httpx.AsyncClient
) -> None:
    sure = await add_book(runtime, "Harbour Lights Volume 21", ["Author Number21"])
    await set_state(runtime, sure.id, 0.5)
    unsure = await add_book(runtime, "Lights Volume 22", ["Number22"])  # scores about 0.85
    await set_state(runtime, unsure.id, 0.5)
    await hc.sync_now(admin)
    assert set(user_books_by_book(fake)) == {hardcover_id(21)}  # the unsure match is not pushed
    log = {(e["bookId"], e["action"]): e for e in await hc.log_entries(admin, 100)}
    assert log[(sure.id, "link")]["status"] == "linked"
    assert log[(unsure.id, "link")]["status"] == "needs_confirmation"
    assert (unsure.id, "push") not in log
    shown = (await api.get(f"/api/library/{unsure.id}/hardcover")).json()
    assert shown["bookId"] is None and shown["candidates"][0]["bookId"] == hardcover_id(22)
    assert 0.5 < shown["candidates"][0]["score"] < 0.9

    searches = fake.operations().count("SearchBooks")
    await hc.sync_now(admin)
    assert fake.operations().count("SearchBooks") == searches  # not retried while its metadata is unchanged
    async with runtime.db.write() as conn:
        await conn.execute(
            "UPDATE books SET title = 'Harbour Lights Volume 22', authors = '[\"Author Number22\"]' WHERE id = ?",
            (unsure.id,),
        )
    await hc.sync_now(admin)
    assert set(user_books_by_book(fake)) == {hardcover_id(21), hardcover_id(22)}
