"""The Hardcover endpoints through the real app: status, runs, the log, user links, the schedule."""

from __future__ import annotations

import asyncio

import httpx

from bookshelf.db import jobs as job_rows
from bookshelf.db.jobs import Job
from bookshelf.runtime import Runtime
from bookshelf.services.hardcover.sync import HardcoverSyncService
from tests.fakes.common import Fault
from tests.fakes.hardcover import FakeHardcover, Token
from tests.hardcover.helpers import add_book, hardcover_id, isbn13, set_state


async def test_status_without_a_token(api: httpx.AsyncClient, fake: FakeHardcover) -> None:
    body = (await api.get("/api/hardcover/status")).json()
    assert body == {
        "configured": False,
        "connected": False,
        "username": None,
        "lastSyncAt": None,
        "error": None,
        "running": False,
    }
    assert fake.requests == []
    answer = await api.post("/api/hardcover/sync")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict"


async def test_status_checks_the_token_once_a_minute(
    api: httpx.AsyncClient, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    for _ in range(3):
        body = (await api.get("/api/hardcover/status")).json()
        assert body["configured"] is True and body["connected"] is True
        assert body["username"] == "bookshelf_tester" and body["error"] is None
    assert fake.operations() == ["WhoAmI"]
    fake.tokens["hc_pat_other"] = Token(fake.user_id)
    assert (await api.put("/api/credentials/hardcover", json={"token": "hc_pat_other"})).status_code == 200
    await api.get("/api/hardcover/status")
    assert fake.operations() == ["WhoAmI", "WhoAmI"]  # a new token is checked at once
    assert fake.requests[-1].headers["authorization"] == "Bearer hc_pat_other"


async def test_status_tells_bad_token_from_missing_scope_from_outage(
    api: httpx.AsyncClient, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    cases = [
        ("hc_pat_unknown", None, "invalid_token"),
        ("hc_pat_scoped", Token(fake.user_id, {"read:catalog"}), "missing_scope"),
        ("hc_pat_down", Token(fake.user_id), "unavailable"),
    ]
    for token, grant, code in cases:
        if grant is not None:
            fake.tokens[token] = grant
        if code == "unavailable":
            fake.fail_next(Fault(503, {"error": "Service temporarily unavailable"}), times=3)
        await api.put("/api/credentials/hardcover", json={"token": token})
        body = (await api.get("/api/hardcover/status")).json()
        assert body["connected"] is False and body["error"]["code"] == code, body
        assert token not in str(body)


async def test_sync_returns_the_running_job_and_records_it(
    api: httpx.AsyncClient, runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    book = await add_book(runtime, "Harbour Lights Volume 2", ["Author Number2"], isbn=isbn13(2))
    await set_state(runtime, book.id, 0.4)
    fake.delay = 0.2  # slow enough that the second call lands while the first run is going
    first = await api.post("/api/hardcover/sync")
    second = await api.post("/api/hardcover/sync")
    assert first.status_code == second.status_code == 202
    assert first.json()["jobId"] == second.json()["jobId"]
    assert (await api.get("/api/hardcover/status")).json()["running"] is True
    await hc.wait(admin)
    async with runtime.db.read() as conn:
        job = await job_rows.get(conn, first.json()["jobId"])
    assert job is not None and job.queue == "hardcover" and job.state == "completed"
    assert len(fake.user_books) == 1
    third = await api.post("/api/hardcover/sync")
    assert third.json()["jobId"] != first.json()["jobId"]
    await hc.wait(admin)


async def test_log_is_a_bare_array_newest_first(
    api: httpx.AsyncClient, runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    for n in (1, 2, 3):
        book = await add_book(runtime, f"Harbour Lights Volume {n}", [f"Author Number{n}"], isbn=isbn13(n))
        await set_state(runtime, book.id, 0.5)
    await hc.sync_now(admin)
    await hc.sync_now(admin)
    entries = (await api.get("/api/hardcover/sync/log")).json()
    assert isinstance(entries, list)
    keys = {"id", "bookId", "bookTitle", "hardcoverBookId", "action", "status", "message", "lastSyncedAt"}
    assert all(set(e) == keys for e in entries)
    # One row per book and action, updated in place: two runs leave 3 links, 3 pushes and 1 run row.
    assert sorted(e["action"] for e in entries) == ["link"] * 3 + ["push"] * 3 + ["sync"]
    assert [e["lastSyncedAt"] for e in entries] == sorted((e["lastSyncedAt"] for e in entries), reverse=True)
    push = next(e for e in entries if e["action"] == "push" and e["bookTitle"] == "Harbour Lights Volume 2")
    assert push["hardcoverBookId"] == hardcover_id(2) and push["status"] == "ok"
    assert len((await api.get("/api/hardcover/sync/log?limit=2")).json()) == 2
    for bad in ("0", "101", "x"):
        answer = await api.get(f"/api/hardcover/sync/log?limit={bad}")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_input"


async def test_user_link_endpoints(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Linked", ["Someone"])
    inbox = await add_book(runtime, "Still in review", ["Someone"])
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'review' WHERE id = ?", (inbox.id,))
    url = f"/api/library/{book.id}/hardcover"
    assert (await api.get(url)).status_code == 404  # no link yet
    for body in (
        {"bookId": "12"},
        {"bookId": 0},
        {},
        {"bookId": 5, "extra": 1},
        {"bookId": 5, "editionId": -1},
        {"bookId": True},
        [5],
    ):
        answer = await api.put(url, json=body)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_input", body
    assert (await api.put(url, content=b"{not json")).status_code == 400
    assert (await api.put("/api/library/not-a-uuid/hardcover", json={"bookId": 5})).status_code == 400
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.put(f"/api/library/{missing}/hardcover", json={"bookId": 5})).status_code == 404
    assert (await api.put(f"/api/library/{inbox.id}/hardcover", json={"bookId": 5})).status_code == 404
    answer = await api.put(url, json={"bookId": 312460, "editionId": 30405276})
    assert answer.status_code == 200
    assert answer.json() | {"updatedAt": None} == {
        "bookId": 312460,
        "editionId": 30405276,
        "pages": None,
        "method": "user",
        "confidence": 1.0,
        "userSet": True,
        "candidates": [],
        "updatedAt": None,
    }
    assert (await api.get(url)).json()["bookId"] == 312460
    assert (await api.delete(url)).json() == {"deleted": True}
    assert (await api.delete(url)).status_code == 404
    assert (await api.delete(f"/api/library/{missing}/hardcover")).status_code == 404


async def test_schedule_follows_the_preference_without_restart(
    api: httpx.AsyncClient, runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    now = [10_000.0]
    hc.monotonic = lambda: now[0]
    await hc.tick()
    assert not hc.running(admin) and fake.requests == []  # disabled by default
    answer = await api.patch("/api/settings", json={"hardcoverSync": {"enabled": True, "intervalMinutes": 60}})
    assert answer.status_code == 200
    await hc.tick()
    assert hc.running(admin)
    await hc.wait(admin)
    runs = fake.operations().count("WhoAmI")
    now[0] += 30 * 60
    await hc.tick()
    assert not hc.running(admin)  # not due for another half hour
    await api.patch("/api/settings", json={"hardcoverSync": {"intervalMinutes": 15}})
    await hc.tick()  # the shorter interval applies at once
    assert hc.running(admin)
    await hc.wait(admin)
    assert fake.operations().count("WhoAmI") == runs + 1


async def test_a_run_cut_by_a_restart_is_recorded_as_failed(runtime: Runtime) -> None:
    job = Job.new("hardcover", "hardcover_sync", state="active", job_id="5f0c9e0a-0000-4000-8000-000000000001")
    async with runtime.db.write() as conn:
        await job_rows.insert(conn, job)
    await runtime.hardcover.recover()
    async with runtime.db.read() as conn:
        found = await job_rows.get(conn, job.id)
    assert found is not None and found.state == "failed" and "restart" in (found.error or "")


async def test_a_failed_run_is_retried_through_the_jobs_api(
    api: httpx.AsyncClient, runtime: Runtime, hc: HardcoverSyncService, admin: str, fake: FakeHardcover
) -> None:
    book = await add_book(runtime, "Harbour Lights Volume 5", ["Author Number5"], isbn=isbn13(5))
    await set_state(runtime, book.id, 0.4)
    fake.fail_unauthorized(times=1000)
    job_id = (await api.post("/api/hardcover/sync")).json()["jobId"]
    await hc.wait(admin)
    failed = (await api.get("/api/jobs/failed")).json()["jobs"]
    assert [j["id"] for j in failed if j["queue"] == "hardcover"] == [job_id]

    fake.faults.clear()
    retried = await api.post(f"/api/jobs/{job_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "waiting"
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        async with runtime.db.read() as conn:
            job = await job_rows.get(conn, job_id)
        if job is not None and job.state == "completed":
            break
        await asyncio.sleep(0.05)
    assert job is not None and job.state == "completed", job
    assert len(fake.user_books) == 1  # the same job ran again and pushed the book once
