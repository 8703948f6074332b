"""Broken files fail with their reason, show in /api/jobs/failed, and can be retried."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from bookshelf.errors import UpstreamError, is_transient
from bookshelf.runtime import Runtime
from bookshelf.taskqueue import TaskSpec, retry_delay
from tests.builders import make_epub, make_pdf
from tests.ingest.conftest import book_status, wait_for

ENCRYPTION = """<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
 xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>
 <enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData>
 <enc:CipherReference URI="OEBPS/chapter1.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"""


def broken_set(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    good = make_epub(folder / "good.epub", title="Good").read_bytes()
    truncated = folder / "truncated.epub"
    truncated.write_bytes(good[: len(good) // 2])
    files = {
        "truncated": truncated,
        "drm": make_epub(folder / "drm.epub", title="Locked", encryption_xml=ENCRYPTION),
        "no_opf": make_epub(folder / "no-opf.epub", title="x", opf="<package"),
        "password_pdf": make_pdf(folder / "secret.pdf", password="hunter2"),
    }
    empty = folder / "empty.epub"
    empty.write_bytes(b"")
    files["empty"] = empty
    return files


async def test_broken_files_fail_with_reasons_and_retry(live: Runtime, live_api: httpx.AsyncClient,
                                                        tmp_path: Path) -> None:  # fmt: skip
    files = broken_set(tmp_path / "broken")
    ids = {}
    for kind, path in files.items():
        ids[kind] = (await live.ingest.accept(path)).book_id

    async def all_failed() -> bool:
        return all([await book_status(live, book_id) == "failed" for book_id in ids.values()])

    await wait_for(all_failed, what="every broken file to fail")
    failed = (await live_api.get("/api/jobs/failed")).json()
    assert failed["total"] == len(files)
    by_book = {job["bookId"]: job for job in failed["jobs"]}
    for kind, book_id in ids.items():
        job = by_book[book_id]
        book = (await live_api.get(f"/api/inbox/{book_id}")).json()
        assert book["status"] == "failed" and book["error"], kind
        assert job["error"] == book["error"], "the job keeps the same reason as the book"
        assert job["queue"] == "parse" and job["task"] == "parse_book" and job["attempts"] == 1, kind
        assert job["failedAt"] and job["createdAt"]
    assert "DRM" in by_book[ids["drm"]]["error"]
    assert by_book[ids["empty"]]["error"] == "The file is empty."
    status = (await live_api.get("/api/jobs/status")).json()["queues"]
    assert status["parse"]["failed"] == len(files) and set(status) == {
        "parse",
        "metadata",
        "organize",
        "hardcover",
        "maintenance",
        "send",
    }
    assert (await live_api.get("/api/jobs/failed?limit=2")).json()["total"] == len(files)
    assert len((await live_api.get("/api/jobs/failed?limit=2")).json()["jobs"]) == 2
    assert (await live_api.get("/api/jobs/failed?limit=501")).status_code == 400

    # Repair the truncated book's stored file, then retry: the same job runs again and succeeds.
    job_id = by_book[ids["truncated"]]["id"]
    stored = live.settings.incoming_dir / ids["truncated"] / "truncated.epub"
    make_epub(stored, title="Repaired")
    retried = await live_api.post(f"/api/jobs/{job_id}/retry")
    assert retried.status_code == 200
    assert retried.json() == {"id": job_id, "queue": "parse", "status": "waiting"}
    await wait_for(lambda: _is(live, ids["truncated"], "review"), what="the repaired book in review")
    book = (await live_api.get(f"/api/inbox/{ids['truncated']}")).json()
    assert book["title"] == "Repaired" and book["error"] is None
    job = await live.jobs.get(job_id)
    assert job is not None and job.state == "completed" and job.attempts == 2

    assert (await live_api.post(f"/api/jobs/{job_id}/retry")).status_code == 409
    assert (await live_api.post("/api/jobs/no-such-job/retry")).status_code == 404
    # Retrying a still-broken file fails again with the same reason.
    drm_job = by_book[ids["drm"]]["id"]
    assert (await live_api.post(f"/api/jobs/{drm_job}/retry")).status_code == 200
    await wait_for(lambda: _job_state(live, drm_job, "failed"), what="the DRM book to fail again")
    assert await book_status(live, ids["drm"]) == "failed"


async def _is(rt: Runtime, book_id: str, status: str) -> bool:
    return await book_status(rt, book_id) == status


async def _job_state(rt: Runtime, job_id: str, state: str) -> bool:
    job = await rt.jobs.get(job_id)
    return job is not None and job.state == state and job.attempts == 2


async def test_transient_errors_retry_with_backoff(live: Runtime) -> None:
    calls: list[int] = []
    done = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) < 2:
            raise sqlite3.OperationalError("database is locked")
        done.set()

    live.queue.register(TaskSpec("flaky", "hardcover", flaky))
    job = await live.jobs.enqueue("flaky")

    async def delayed() -> bool:
        found = await live.jobs.get(job.id)
        return found is not None and found.state in ("delayed", "completed")

    await wait_for(delayed, what="a delayed retry")
    await wait_for(lambda: _completed(live, job.id), timeout=20, what="the retry to complete")
    found = await live.jobs.get(job.id)
    assert found is not None and found.attempts == 2 and len(calls) == 2


async def _completed(rt: Runtime, job_id: str) -> bool:
    found = await rt.jobs.get(job_id)
    return found is not None and found.state == "completed"


async def test_permanent_errors_fail_at_once(live: Runtime) -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("a bug, not a hiccup")

    live.queue.register(TaskSpec("broken", "hardcover", broken))
    job = await live.jobs.enqueue("broken")

    async def failed() -> bool:
        found = await live.jobs.get(job.id)
        return found is not None and found.state == "failed"

    await wait_for(failed, what="the failure")
    found = await live.jobs.get(job.id)
    assert found is not None and found.error == "ValueError: a bug, not a hiccup" and len(calls) == 1


@pytest.mark.parametrize(
    "exc,transient",
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: x"), False),
        (UpstreamError("busy", transient=True), True),
        (UpstreamError("bad token", reason="auth"), False),
        (ConnectionResetError(), True),
        (TimeoutError(), True),
        (httpx.ConnectError("refused"), True),
        (ValueError("bug"), False),
    ],
)
def test_transient_classification(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_backoff_grows_and_honours_retry_after() -> None:
    assert [retry_delay(n, OSError()) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert retry_delay(20, OSError()) == 300.0
    assert retry_delay(1, UpstreamError("slow down", retry_after=42)) == 42.0
