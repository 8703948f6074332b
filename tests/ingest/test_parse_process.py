"""Books are read in a worker process the server starts, stops when idle, and takes down with it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.ingest.conftest import book_status, wait_for, write_epub
from tests.serve import running_server


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, not yet reaped by its parent


async def test_a_book_is_read_in_the_worker_process_which_stops_when_idle(live: Runtime, tmp_path: Path) -> None:
    book_id = (await live.ingest.accept(write_epub(tmp_path / "drop", "one.epub", "Read Elsewhere"))).book_id
    await wait_for(lambda: _is(live, book_id, "review"), what="the book in review")
    assert live.parser.started == 1 and live.parser.alive()
    assert children(os.getpid()), "the reader runs in a child process"
    live.parser.idle = 0
    assert live.parser.stop_if_idle() and not live.parser.alive()
    # A broken file still fails with the reader's own reason, across the process boundary.
    bad = tmp_path / "drop" / "broken.epub"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    bad_id = (await live.ingest.accept(bad)).book_id
    await wait_for(lambda: _is(live, bad_id, "failed"), what="the broken book failed")
    assert live.parser.started == 2


async def _is(rt: Runtime, book_id: str, status: str) -> bool:
    return await book_status(rt, book_id) == status


def test_sigterm_and_sigkill_take_the_worker_process_down(tmp_path: Path) -> None:
    for how in (signal.SIGTERM, signal.SIGKILL):
        data = tmp_path / how.name / "data"
        with running_server(data) as server:
            key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "t"}).json()["key"]
            write_epub(data / "inbox", "one.epub", "Dropped")
            deadline = time.monotonic() + 30
            while (
                httpx.get(server.base_url + "/api/inbox/count", headers={"X-API-Key": key}).json()["byStatus"]["review"]
                < 1
            ):
                assert time.monotonic() < deadline, "the dropped book did not reach review"
                time.sleep(0.1)
            workers = children(server.process.pid)
            assert workers, "the parse worker process is running"
            server.process.send_signal(how)
            server.process.wait(20)
        deadline = time.monotonic() + 10
        while not all(gone(pid) for pid in workers):
            assert time.monotonic() < deadline, f"the worker outlived the server after {how.name}"
            time.sleep(0.05)
