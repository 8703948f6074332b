"""Lookups run apart from parsing: a provider that cannot be reached is tried a bounded number of
times while every dropped book reaches review, a slow provider holds back neither parses nor the
other providers, and answers that arrive after an approval land as candidates."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bookshelf.db import candidates as candidate_rows
from bookshelf.runtime import Runtime
from bookshelf.services.lookups import Breaker
from bookshelf.services.lookups.scheduler import WORKERS_PER_PROVIDER, Lane
from bookshelf.settings import Settings
from bookshelf.web.app import create_app
from tests.builders import make_epub
from tests.conftest import make_settings
from tests.fakes.outage import Outage, outage
from tests.ingest.conftest import wait_for
from tests.metadata.conftest import AUTHOR, ISBN, TITLE, Fakes
from tests.seed import job_state, reload


async def open_runtime(settings: Settings) -> Runtime:
    return await Runtime.open(settings.replace(start_consumer=True, start_watcher=False))


async def drop(rt: Runtime, folder: Path, count: int, **book: object) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(count):
        path = make_epub(folder / f"book-{i:03d}.epub", title=str(book.get("title", f"Dropped {i:03d}")),
                         authors=[str(book.get("author", f"Writer {i % 5}"))], isbn=book.get("isbn"))  # type: ignore[arg-type]  # fmt: skip
        ids.append((await rt.ingest.accept(path)).book_id)
    return ids


async def in_review(rt: Runtime, ids: list[str]) -> bool:
    marks = ",".join("?" * len(ids))
    row = await rt.db.fetchone(f"SELECT count(*) FROM books WHERE status = 'review' AND id IN ({marks})", ids)
    return row[0] == len(ids)


@pytest.fixture
async def unreachable(tmp_path: Path) -> AsyncIterator[tuple[Runtime, Outage]]:
    with outage() as down:
        settings = make_settings(tmp_path, openlibrary_url=down.url, openlibrary_covers_url=down.url)
        rt = await open_runtime(settings)
        try:
            yield rt, down
        finally:
            await rt.close()


async def processing(rt: Runtime) -> dict:
    transport = httpx.ASGITransport(app=create_app(rt.settings, rt))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        key = (await http.post("/api/auth/setup", json={"label": "t"})).json()["key"]
        http.headers["X-API-Key"] = key
        plain = (await http.get("/api/inbox/processing")).json()
        detail = await http.get("/api/inbox/processing", params={"include": "lookups"})
        assert detail.status_code == 200
        body = detail.json()
        assert body["stages"] == plain  # the plain map keeps its shape
        return body


async def test_unreachable_provider_is_tried_a_bounded_number_of_times(unreachable, tmp_path: Path) -> None:
    rt, down = unreachable
    ids = await drop(rt, tmp_path / "drop", 100)
    await wait_for(lambda: in_review(rt, ids), timeout=60, what="100 books in review")
    await wait_for(lambda: _waiting(rt, 100), what="every lookup queued for Open Library")
    # Detected by the first requests in flight together, then held back: not once per book.
    assert 1 <= down.tries <= WORKERS_PER_PROVIDER
    body = await processing(rt)
    assert set(body["lookups"]) == set(ids)
    assert all(wait["waiting"] == ["openlibrary"] for wait in body["lookups"].values())
    ol = body["providers"]["openlibrary"]
    assert ol["state"] == "open" and ol["waiting"] == 100 and ol["retryAt"] and ol["lastError"] == "unavailable"
    failed = await rt.db.fetchone("SELECT count(*) FROM jobs WHERE state = 'failed'")
    assert failed[0] == 0, "waiting for a provider is not a failure"


async def _waiting(rt: Runtime, n: int) -> bool:
    snapshot = rt.lookups.snapshot()
    return sum(1 for wait in snapshot["books"].values() if wait["waiting"]) == n


async def test_parse_never_waits_behind_lookups_nor_one_provider_behind_another(fakes: Fakes, tmp_path) -> None:
    fakes.openlibrary.delay = 3600  # asked, never answers while the test runs
    rt = await open_runtime(fakes.settings(tmp_path, provider_timeout=600))
    try:
        await rt.preferences.patch({"metadataSources": ["openlibrary", "google_books"]})
        # 15: more than Google's burst of 10, so its limiter paces some (1 a second) while Open Library hangs.
        ids = await drop(rt, tmp_path / "drop", 15)
        await wait_for(lambda: in_review(rt, ids), timeout=60, what="15 books in review")
        assert fakes.openlibrary.requests, "Open Library was asked"
        await wait_for(lambda: _google_answered(rt, ids), timeout=60, what="Google answering every book")
        snapshot = rt.lookups.snapshot()
        assert all(snapshot["books"][i]["waiting"] == ["openlibrary"] for i in ids)
        done = await rt.db.fetchone("SELECT count(*) FROM jobs WHERE queue = 'metadata' AND state = 'completed'")
        assert done[0] == 0
    finally:
        await rt.close()


async def _google_answered(rt: Runtime, ids: list[str]) -> bool:
    books = rt.lookups.snapshot()["books"]
    return all("google_books" in books.get(i, {}).get("answered", []) for i in ids)


async def test_a_book_approved_while_its_lookup_waits_gets_the_candidates_later(fakes: Fakes, tmp_path) -> None:
    with outage() as down:
        settings = fakes.settings(tmp_path, openlibrary_url=down.url, openlibrary_covers_url=down.url,
                                  provider_backoff=0.5)  # fmt: skip
        rt = await open_runtime(settings)
        try:
            await rt.preferences.patch({"metadataSources": ["openlibrary"]})
            [book_id] = await drop(rt, tmp_path / "drop", 1, title=TITLE, author=AUTHOR, isbn=ISBN)
            await wait_for(lambda: in_review(rt, [book_id]), what="the book in review")
            await wait_for(lambda: _waiting(rt, 1), what="its lookup waiting for Open Library")
            _, job_id = await rt.review.approve(book_id, {"selections": {}})
            down.restore(fakes.urls["openlibrary"])  # the provider comes back
            await wait_for(lambda: _has_candidate(rt, book_id, "openlibrary"), what="the late candidates")
            await wait_for(lambda: _organized(rt, book_id), what="the approved book organized")
            assert (await job_state(rt, job_id)).state == "completed"
        finally:
            await rt.close()


async def _has_candidate(rt: Runtime, book_id: str, source: str) -> bool:
    async with rt.db.read() as conn:
        return any(c.source == source for c in await candidate_rows.for_book(conn, book_id))


async def _organized(rt: Runtime, book_id: str) -> bool:
    return (await reload(rt, book_id)).status == "organized"


def test_breaker_opens_once_probes_alone_and_backs_off() -> None:
    now = [0.0]
    breaker = Breaker(base=10, cap=40, clock=lambda: now[0])
    assert breaker.wait() == 0
    breaker.failure("unavailable")
    breaker.failure("unavailable")  # a second request of the same outage
    assert breaker.outages == 1 and breaker.wait() == 10
    now[0] = 10
    assert breaker.wait() == 0 and breaker.state == "half_open"  # the probe
    assert math.isinf(breaker.wait())  # nobody else while it is out
    breaker.failure("unavailable")
    assert breaker.wait() == 20  # doubled
    now[0] = 30
    breaker.wait()
    breaker.failure("timeout")
    now[0] = 70
    breaker.wait()
    breaker.failure("timeout")
    assert breaker.retry_at - now[0] == 40  # capped
    now[0] = 110
    breaker.wait()
    breaker.success()
    assert breaker.state == "closed" and breaker.wait() == 0 and breaker.outages == 0


@pytest.mark.parametrize("turns", [1, 2, 3])
async def test_stop_is_prompt_when_a_held_back_lane_wakes_as_it_is_cancelled(tmp_path: Path, turns: int) -> None:
    """A worker finishing its request wakes the lane's other workers; when the server stops in that
    instant, a waiting worker must still stop, not wait out the provider's back-off. ``turns`` is
    how far the wake-up has got when the cancel arrives."""
    with outage() as down:
        rt = await open_runtime(make_settings(tmp_path, openlibrary_url=down.url, openlibrary_covers_url=down.url))
        try:
            await drop(rt, tmp_path / "drop", 3)
            await wait_for(lambda: _waiting(rt, 3), what="every lookup held back for Open Library")
            lane = rt.lookups.lanes["openlibrary"]
            await wait_for(lambda: _idle(lane), what="no request in flight")
            assert lane.breaker.state == "open"
            lane.changed.set()  # what a worker's finally does
            for _ in range(turns):
                await asyncio.sleep(0)
            started = time.monotonic()
            await asyncio.wait_for(rt.lookups.stop(), timeout=10)
            assert time.monotonic() - started < 2
        finally:
            await rt.close()


async def _idle(lane: Lane) -> bool:
    return lane.in_flight == 0
