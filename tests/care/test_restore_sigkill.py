"""A real `bookshelf serve` killed with SIGKILL in the middle of a run of restores loses nothing."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.services.operations import doctor
from tests.conftest import make_settings
from tests.library_books import add_book
from tests.serve import read_db, running_server

BOOKS = 80


async def prepare(tmp_path: Path) -> tuple[str, dict[str, set[str]]]:
    """BOOKS deleted books in the trash; returns an API key and each book's file SHA-256s."""
    rt = await Runtime.open(make_settings(tmp_path), background=False)
    try:
        _, key = await rt.keys.create("sigkill test")
        shas = {}
        for n in range(BOOKS):
            book = await add_book(rt, f"Book {n:03}", [f"Author {n % 5}"], formats=("epub", "pdf"),
                                  file_bytes=bytes([n]) * 200_000)  # fmt: skip
            shas[book.id] = {f.sha256 for f in book.files}
            await rt.removal.delete(book.id, keep_files=False)
        return key, shas
    finally:
        await rt.close()


def wait_until_idle(base_url: str, headers: dict[str, str], timeout: float = 60) -> None:
    """Poll the job counts until no queue has work waiting or running."""
    deadline = time.monotonic() + timeout
    while True:
        queues = httpx.get(base_url + "/api/jobs/status", headers=headers, timeout=10).json()["queues"]
        if not any(q["waiting"] or q["active"] or q["delayed"] for q in queues.values()):
            return
        assert time.monotonic() < deadline, f"queues still busy: {queues}"
        time.sleep(0.05)


def restore_all(base_url: str, headers: dict[str, str], ids: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        for trash_id in ids:
            if stop.is_set():
                return
            try:
                http.post(f"/api/trash/{trash_id}/restore")
            except httpx.HTTPError:
                return  # the server is gone


@pytest.mark.slow
async def test_sigkill_during_restores_loses_nothing(tmp_path: Path) -> None:
    key, shas = await prepare(tmp_path)
    data_dir = tmp_path / "data"
    headers = {"Authorization": f"Bearer {key}"}
    ids = [row["id"] for row in read_db(data_dir, "SELECT id FROM trash ORDER BY deleted_at, id")]
    assert len(ids) == BOOKS

    stop = threading.Event()
    with running_server(data_dir) as server:
        worker = threading.Thread(target=restore_all, args=(server.base_url, headers, ids, stop))
        worker.start()
        deadline = time.monotonic() + 60
        left = BOOKS
        while time.monotonic() < deadline:
            left = read_db(data_dir, "SELECT count(*) FROM trash")[0][0]
            if left <= BOOKS - 10:
                break
            time.sleep(0.002)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        stop.set()
        worker.join(15)
    assert 0 < left <= BOOKS - 10, f"the kill should land mid-way; {left} entries were left"

    with running_server(data_dir) as server:  # start-up finishes an interrupted restore and move
        assert httpx.get(server.base_url + "/api/health", timeout=10).status_code == 200
        assert read_db(data_dir, "SELECT count(*) FROM trash WHERE state = 'restoring'")[0][0] == 0
        # Organize jobs queued before the kill run again now; a move in flight is not an interrupted one.
        wait_until_idle(server.base_url, headers)
        report = doctor.run(make_settings(tmp_path))
        assert not report.problems, report.render()
        every_sha = {row[0] for row in read_db(data_dir, "SELECT value FROM file_hashes WHERE kind = 'sha256'")}
        in_trash = {row["book_id"] for row in read_db(data_dir, "SELECT book_id FROM trash")}
        in_library = {row["id"] for row in read_db(data_dir, "SELECT id FROM books")}
        assert in_trash | in_library == set(shas) and not in_trash & in_library
        for book_id in in_library:
            assert shas[book_id] <= every_sha, book_id  # each file's bytes are (or were) a row's

        restore_all(server.base_url, headers, [r["id"] for r in read_db(data_dir, "SELECT id FROM trash")],
                    threading.Event())  # fmt: skip
        assert read_db(data_dir, "SELECT count(*) FROM books")[0][0] == BOOKS
        assert read_db(data_dir, "SELECT count(*) FROM files")[0][0] == 2 * BOOKS
        wait_until_idle(server.base_url, headers)
    report = doctor.run(make_settings(tmp_path))
    assert not report.problems, report.render()
