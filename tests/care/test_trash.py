"""The trash: delete, list, restore byte-identical with reading progress, suffix on a taken path, purge."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import httpx

from bookshelf import clock
from bookshelf.runtime import Runtime
from bookshelf.services.operations import doctor
from tests.library_books import add_book
from tests.reading.helpers import koreader_headers, set_kosync_user
from tests.seed import disk_path, reload


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def put_progress(api: httpx.AsyncClient, document: str, percentage: float) -> None:
    body = {"document": document, "percentage": percentage, "progress": "/body/p[3]", "device": "Kobo",
            "device_id": "kobo-1"}  # fmt: skip
    response = await api.put("/kosync/syncs/progress", content=json.dumps(body), headers=koreader_headers())
    assert response.status_code == 200, response.text


async def test_restore_is_byte_identical_and_reading_progress_maps_again(api: httpx.AsyncClient,
                                                                         runtime: Runtime) -> None:  # fmt: skip
    book = await add_book(runtime, "Kindred", ["Octavia E. Butler"], formats=("epub", "pdf"), cover=True)
    await set_kosync_user(runtime)
    await put_progress(api, book.files[0].koreader_hash, 0.42)
    paths = {f.id: disk_path(runtime, f) for f in book.files}
    before = {f.id: paths[f.id].read_bytes() for f in book.files}

    assert (await api.delete(f"/api/books/{book.id}")).status_code == 200
    assert not any(p.exists() for p in paths.values())
    assert (await api.get(f"/api/library/{book.id}")).status_code == 404
    listing = (await api.get("/api/trash")).json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["totalPages"] == 1
    entry = listing["data"][0]
    assert entry["bookId"] == book.id and entry["title"] == "Kindred" and entry["authors"] == ["Octavia E. Butler"]
    assert sorted(f["format"] for f in entry["files"]) == ["epub", "pdf"]
    expires = clock.parse_iso(entry["expiresAt"]) - clock.parse_iso(entry["deletedAt"])
    assert expires == timedelta(days=30)

    response = await api.post(f"/api/trash/{entry['id']}/restore")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["book"]["id"] == book.id and body["book"]["status"] == "organized" and body["jobId"]
    assert body["book"]["hasCover"] and body["missing"] == []
    restored = await reload(runtime, book.id)
    assert {f.id for f in restored.files} == set(before)
    for file in restored.files:
        assert disk_path(runtime, file) == paths[file.id]
        assert disk_path(runtime, file).read_bytes() == before[file.id]
    progress = (await api.get(f"/api/library/{book.id}/progress")).json()
    assert [d["percentage"] for d in progress["devices"]] == [0.42]
    assert (await api.get("/api/trash")).json()["total"] == 0
    assert not (runtime.settings.trash_dir / entry["id"]).exists()
    assert (await api.get("/api/library", params={"q": "Kindred"})).json()["total"] == 1  # searchable again
    # Organizing again (what the queued job does) keeps the bytes it has, and progress still maps.
    await runtime.organizer.organize_book(book.id)
    progress = (await api.get(f"/api/library/{book.id}/progress")).json()
    assert [d["percentage"] for d in progress["devices"]] == [0.42]
    assert not doctor.run(runtime.settings).problems


async def test_restore_onto_a_taken_path_gets_a_numbered_suffix(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Dawn", ["Octavia E. Butler"])
    old = disk_path(runtime, book.files[0])
    original = old.read_bytes()
    await api.delete(f"/api/books/{book.id}")
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"someone else's file")  # the path is taken now
    trash_id = (await api.get("/api/trash")).json()["data"][0]["id"]

    response = await api.post(f"/api/trash/{trash_id}/restore")
    assert response.status_code == 200, response.text
    restored = (await reload(runtime, book.id)).files[0]
    assert restored.path.endswith(" (2).epub")
    assert disk_path(runtime, restored).read_bytes() == original
    assert old.read_bytes() == b"someone else's file"  # never overwritten


async def test_keep_files_restore_reattaches_the_file_in_place(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Wild Seed", ["Octavia E. Butler"])
    path = disk_path(runtime, book.files[0])
    assert (await api.delete(f"/api/books/{book.id}", params={"keepFiles": "true"})).status_code == 200
    assert path.exists()
    entry = (await api.get("/api/trash")).json()["data"][0]
    assert entry["files"][0]["kept"] is True
    assert (await api.post(f"/api/trash/{entry['id']}/restore")).status_code == 200
    assert disk_path(runtime, (await reload(runtime, book.id)).files[0]) == path


async def test_a_restored_book_cannot_be_restored_twice(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Fledgling", ["Octavia E. Butler"])
    await api.delete(f"/api/books/{book.id}")
    trash_id = (await api.get("/api/trash")).json()["data"][0]["id"]
    assert (await api.post(f"/api/trash/{trash_id}/restore")).status_code == 200
    assert (await api.post(f"/api/trash/{trash_id}/restore")).status_code == 404
    assert (await api.post("/api/trash/not-a-uuid/restore")).status_code == 400


async def test_purge_after_trash_days_keeps_newer_entries(api: httpx.AsyncClient, runtime: Runtime) -> None:
    old_book = await add_book(runtime, "Old", ["A"])
    new_book = await add_book(runtime, "New", ["B"])
    await api.delete(f"/api/books/{old_book.id}")
    await api.delete(f"/api/books/{new_book.id}")
    entries = {e["bookId"]: e["id"] for e in (await api.get("/api/trash")).json()["data"]}
    past = clock.iso(clock.now() - timedelta(days=31))
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE trash SET deleted_at = ? WHERE book_id = ?", (past, old_book.id))
    assert (runtime.settings.trash_dir / entries[old_book.id]).is_dir()

    assert await runtime.trash.purge_expired() == 1
    assert not (runtime.settings.trash_dir / entries[old_book.id]).exists()
    assert (runtime.settings.trash_dir / entries[new_book.id]).is_dir()
    assert [e["bookId"] for e in (await api.get("/api/trash")).json()["data"]] == [new_book.id]
    await runtime.preferences.patch({"trashDays": 1})
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE trash SET deleted_at = ?", (clock.iso(clock.now() - timedelta(days=2)),))
    assert await runtime.trash.purge_expired() == 1
    assert (await api.get("/api/trash")).json()["total"] == 0


async def test_delete_one_and_empty(api: httpx.AsyncClient, runtime: Runtime) -> None:
    books = [await add_book(runtime, f"Book {n}", ["C"]) for n in range(3)]
    for book in books:
        await api.delete(f"/api/books/{book.id}")
    data = (await api.get("/api/trash", params={"limit": 2})).json()
    assert data["total"] == 3 and data["totalPages"] == 2 and len(data["data"]) == 2
    first = data["data"][0]["id"]
    response = await api.delete(f"/api/trash/{first}")
    assert response.status_code == 200 and response.json() == {"deleted": True, "id": first}
    assert not (runtime.settings.trash_dir / first).exists()
    assert (await api.delete(f"/api/trash/{first}")).status_code == 404
    response = await api.post("/api/trash/empty")
    assert response.status_code == 200 and response.json() == {"purged": 2}
    assert list(runtime.settings.trash_dir.iterdir()) == []
    assert (await api.get("/api/trash")).json() == {"data": [], "page": 1, "limit": 20, "total": 0, "totalPages": 0}
    assert (await api.get("/api/trash", params={"limit": 101})).status_code == 400


async def test_an_interrupted_restore_is_finished_at_start(api: httpx.AsyncClient, runtime: Runtime) -> None:
    """A restore recorded as under way (files planned back) is completed by recover(), as at start."""
    book = await add_book(runtime, "Parable", ["Octavia E. Butler"])
    path = disk_path(runtime, book.files[0])
    data = path.read_bytes()
    await api.delete(f"/api/books/{book.id}")
    entry = (await api.get("/api/trash")).json()["data"][0]
    planned = await runtime.trash._plan(await _entry(runtime, entry["id"]))
    async with runtime.db.write() as conn:
        from bookshelf.db import trash as trash_rows

        await trash_rows.set_restoring(conn, entry["id"], planned)
    assert (await api.delete(f"/api/trash/{entry['id']}")).status_code == 409  # never purged mid-restore
    assert await runtime.trash.recover() == 1
    assert path.read_bytes() == data
    assert (await reload(runtime, book.id)).files[0].sha256 == sha(path)


async def _entry(runtime: Runtime, trash_id: str):  # type: ignore[no-untyped-def]
    from bookshelf.db import trash as trash_rows

    async with runtime.db.read() as conn:
        return await trash_rows.get(conn, trash_id)
