"""POST /api/import and GET /api/import/{jobId}: allowed roots only, a job with progress and counts."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.importing.calibre_library import CBook, default_cover, make_calibre_library, snapshot
from tests.serve import running_server


async def wait_done(http: httpx.AsyncClient, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = await http.get(f"/api/import/{job_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["state"] in ("completed", "failed"):
            return body
        assert time.monotonic() < deadline, f"import still {body['state']} after {timeout}s: {body}"
        await asyncio.sleep(0.05)


async def test_paths_outside_the_import_roots_are_refused(
    live_api: tuple[Runtime, httpx.AsyncClient], import_root: Path, tmp_path: Path
) -> None:
    _, http = live_api
    outside = make_calibre_library(tmp_path / "elsewhere", [CBook("Private")])
    (import_root / "link").symlink_to(outside)  # a symlink inside the root pointing out of it
    cases = [
        {"path": str(outside), "mode": "calibre"},
        {"path": str(import_root / "link"), "mode": "calibre"},
        {"path": str(import_root / ".." / "elsewhere"), "mode": "calibre"},
        {"path": "relative/path", "mode": "calibre"},
        {"path": str(import_root / "missing"), "mode": "folder"},
        {"path": str(import_root), "mode": "calibre"},  # inside, but not a calibre library
        {"path": str(import_root), "mode": "calibre", "inPlace": True},
        {"path": str(import_root), "mode": "folder", "inPlace": "yes"},
        {"path": str(import_root), "mode": "zip"},
        {"path": str(import_root), "mode": "folder", "extra": 1},
    ]
    for body in cases:
        response = await http.post("/api/import", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    message = (await http.post("/api/import", json=cases[1])).json()["error"]["message"]
    assert "inside an import folder" in message and str(import_root) in message
    assert (await http.get("/api/import/not-a-job")).status_code == 404


async def test_calibre_import_job_reports_progress_and_counts(
    live_api: tuple[Runtime, httpx.AsyncClient], import_root: Path
) -> None:
    rt, http = live_api
    books = [CBook(f"Book {i}", formats=["EPUB"], tags=["Tag"], cover=default_cover(i)) for i in range(12)]
    lib = make_calibre_library(import_root / "calibre", books)
    before = snapshot(lib)

    response = await http.post("/api/import", json={"path": str(lib), "mode": "calibre"})
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    body = await wait_done(http, job_id)

    assert body["state"] == "completed", body
    assert (body["total"], body["done"], body["imported"], body["progress"]) == (12, 12, 12, 1.0)
    assert body["failed"] == [] and body["duplicates"] == []
    library = (await http.get("/api/jobs/status")).json()["queues"]["maintenance"]
    assert library["completed"] == 1
    rows = await rt.db.fetchall("SELECT status, count(*) FROM books GROUP BY status")
    assert [tuple(r) for r in rows] == [("organized", 12)]
    assert snapshot(lib) == before

    # Again: every book is already imported, nothing doubles.
    again = await wait_done(
        http, (await http.post("/api/import", json={"path": str(lib), "mode": "calibre"})).json()["jobId"]
    )
    assert (again["state"], again["total"], again["imported"]) == ("completed", 0, 0)
    assert (await rt.db.fetchone("SELECT count(*) FROM books"))[0] == 12


def test_import_through_a_running_server(tmp_path: Path) -> None:
    root = tmp_path / "imports"
    lib = make_calibre_library(root / "calibre", [CBook(f"Served {i}", formats=["EPUB"]) for i in range(5)])
    with running_server(tmp_path / "data", env={"BOOKSHELF_IMPORT_ROOTS": str(root)}) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            key = http.post("/api/auth/setup", json={"label": "t"}).json()["key"]
            http.headers["Authorization"] = f"Bearer {key}"
            assert http.post("/api/import", json={"path": str(tmp_path), "mode": "calibre"}).status_code == 400
            response = http.post("/api/import", json={"path": str(lib), "mode": "calibre"})
            assert response.status_code == 202, response.text
            job_id = response.json()["jobId"]
            deadline = time.monotonic() + 30
            while (body := http.get(f"/api/import/{job_id}").json())["state"] not in ("completed", "failed"):
                assert time.monotonic() < deadline, body
                time.sleep(0.05)
            assert (body["state"], body["imported"]) == ("completed", 5), body
            listed = http.get("/api/inbox/count").json()
            assert listed["count"] == 0
