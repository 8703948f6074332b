"""A real `bookshelf serve` killed with SIGKILL in the middle of reorganizing: nothing lost or doubled."""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from tests.conftest import make_settings
from tests.seed import add_book
from tests.serve import read_db, running_server

BOOKS = 100


async def prepare(tmp_path: Path) -> str:
    """100 organized books in the library, then metadata edits and a new template to apply."""
    settings = make_settings(tmp_path)
    rt = await Runtime.open(settings, background=False)
    try:
        _, key = await rt.keys.create("sigkill test")
        for n in range(BOOKS):
            await add_book(rt, f"Book {n:03}", [f"Author {n % 7}"], status="organized", series=f"Saga {n % 3}",
                           series_index=float(n), body_bytes=150_000)  # fmt: skip
        totals = await rt.organizer.reorganize_all()
        assert totals["changed"] == BOOKS
        async with rt.db.write() as conn:  # every EPUB now needs rewriting as well as moving
            await conn.execute("UPDATE books SET description = 'Edited after organizing.'")
        await rt.preferences.patch({"organizeTemplate": "{author}/{series}/{title}"})
        return key
    finally:
        await rt.close()


@pytest.mark.slow
async def test_sigkill_during_reorganize_all_loses_and_doubles_nothing(tmp_path: Path) -> None:
    key = await prepare(tmp_path)
    data_dir = tmp_path / "data"
    baseline = read_db(data_dir, "SELECT count(*) FROM file_moves")[0][0]
    headers = {"Authorization": f"Bearer {key}"}

    with running_server(data_dir) as server:
        response = httpx.post(server.base_url + "/api/library/reorganize", headers=headers, timeout=10)
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            done = read_db(data_dir, f"SELECT count(*) FROM file_moves WHERE id > {baseline}")[0][0]
            if done >= 10:
                break
            time.sleep(0.005)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
    assert 10 <= done < BOOKS, f"the kill should land mid-way, {done} moves had started"
    killed_at = read_db(data_dir, "SELECT state, count(*) AS n FROM file_moves GROUP BY state")

    with running_server(data_dir) as server:  # start-up recovery settles the interrupted move
        health = httpx.get(server.base_url + "/api/health", timeout=10)
        assert health.status_code == 200

    assert read_db(data_dir, "SELECT count(*) FROM file_moves WHERE state = 'planned'")[0][0] == 0, killed_at
    files = read_db(data_dir, "SELECT root, path, sha256 FROM files")
    assert len(files) == BOOKS
    roots = {"library": data_dir / "library", "incoming": data_dir / "incoming"}
    for row in files:
        path = roots[row["root"]] / row["path"]
        assert path.is_file(), row["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"], row["path"]
    on_disk = sorted(p for root in roots.values() for p in root.rglob("*") if p.is_file())
    assert len(on_disk) == BOOKS, [str(p) for p in on_disk if p.name.startswith(".")]
    assert sorted(roots[r["root"]] / r["path"] for r in files) == on_disk
    moved = sum(1 for r in files if r["path"].count("/") == 3)
    assert 10 <= moved <= BOOKS  # the new layout for those done, the old for the rest
    assert not list((data_dir / "tmp").glob("organize-*"))
