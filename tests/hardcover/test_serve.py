"""`bookshelf serve` as a subprocess, the fake Hardcover on a loopback port, a sync through the API."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.conftest import make_settings
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover
from tests.fakes.server import serve_in_thread
from tests.hardcover.helpers import add_book, catalogue, hardcover_id, isbn13, reads_of, user_books_by_book
from tests.serve import running_server

DOCUMENT = "c" * 32


async def _seed(root: Path) -> None:
    """Two organized books, one already being read, written before the server starts."""
    rt = await Runtime.open(make_settings(root), background=False)
    try:
        book = await add_book(rt, "Harbour Lights Volume 1", ["Author Number1"], isbn=isbn13(1), document=DOCUMENT)
        await add_book(rt, "Harbour Lights Volume 2", ["Author Number2"], isbn=isbn13(2))
        await rt.reading.set_manual(await rt.accounts.first_admin_id(), book.id, "reading")
    finally:
        await rt.close()


def _wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def _idle(base: str, headers: dict[str, str]) -> dict:
    return httpx.get(base + "/api/hardcover/status", headers=headers).json()


def test_sync_through_a_running_server(tmp_path: Path) -> None:
    asyncio.run(_seed(tmp_path))
    fake = FakeHardcover.from_books(catalogue(3))  # real clock: a handful of calls fits in the burst
    with serve_in_thread(fake.app) as fake_base:
        env = {"BOOKSHELF_HARDCOVER_URL": fake_base + "/v1/graphql", "BOOKSHELF_HARDCOVER_TOKEN": GOOD_TOKEN}
        with running_server(tmp_path / "data", env=env) as server:
            base = server.base_url
            key = httpx.post(base + "/api/auth/setup", json={"label": "t"}).json()["key"]
            auth = {"Authorization": f"Bearer {key}"}
            answer = httpx.post(base + "/api/hardcover/sync", headers=auth)
            assert answer.status_code == 202 and answer.json()["jobId"]
            _wait_until(lambda: _idle(base, auth)["lastSyncAt"] is not None, "the first sync did not finish")
            first = _idle(base, auth)
            assert first["connected"] is True and first["username"] == "bookshelf_tester" and first["error"] is None
            (entry,) = user_books_by_book(fake).values()  # only the book with a status
            assert entry["book_id"] == hardcover_id(1) and entry["status_id"] == 2

            # KOReader reports progress through the same server; the next sync carries it over.
            creds = {"username": "reader", "password": "pw"}
            assert httpx.put(base + "/api/credentials/kosync", json=creds, headers=auth).status_code == 200
            kosync = {
                "x-auth-user": "reader",
                "x-auth-key": hashlib.md5(b"pw").hexdigest(),
                "accept": "application/vnd.koreader.v1+json",
            }
            put = httpx.put(
                base + "/kosync/syncs/progress",
                headers=kosync,
                json={
                    "document": DOCUMENT,
                    "percentage": 0.5,
                    "progress": "/body/p[9]",
                    "device": "kobo",
                    "device_id": "K1",
                },
            )
            assert put.status_code == 200, put.text
            assert httpx.post(base + "/api/hardcover/sync", headers=auth).status_code == 202
            pages = round(0.5 * 201)
            _wait_until(lambda: [r["progress_pages"] for r in reads_of(fake, entry["id"])] == [pages], "no progress")
            _wait_until(lambda: not _idle(base, auth)["running"], "the second sync did not finish")
            log = httpx.get(base + "/api/hardcover/sync/log", headers=auth).json()
        assert len(reads_of(fake, entry["id"])) == 1
        assert any(e["action"] == "push" and e["status"] == "ok" for e in log)
    assert GOOD_TOKEN not in server.log()
