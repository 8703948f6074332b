"""Progress mapped to books, reading status (computed and manual), unmatched documents and links."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import httpx
import pytest

from bookshelf import clock
from bookshelf.db import books
from bookshelf.models import Progress
from bookshelf.runtime import Runtime
from tests.reading.helpers import add_book, md5, record

DAY = 86_400
H1, H2, H3 = "a" * 32, "b" * 32, "c" * 32


async def status_of(api: httpx.AsyncClient, book_id: str) -> dict:
    response = await api.get(f"/api/library/{book_id}/progress")
    assert response.status_code == 200, response.text
    return response.json()


async def test_progress_maps_through_every_hash_a_file_had(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Kindred", ["Octavia E. Butler"], hashes=[H1])
    now = clock.unix()
    await record(runtime, H1, 0.25, now - 100, device="kobo")
    # Organizing re-embedded metadata: the file's hash changed, the old one stays in its history.
    file = book.files[0]
    file.koreader_hash = H2
    async with runtime.db.write() as conn:
        await books.update_file(conn, file, clock.now_iso())
    await record(runtime, H1, 0.4, now - 50, device="kobo")  # a copy downloaded before the change
    await record(runtime, H2, 0.3, now, device="phone")

    body = await status_of(api, book.id)
    assert body["bookId"] == book.id and body["readingStatus"] == "reading"
    assert body["progress"] == 0.3  # the latest write over all the book's documents, though behind
    assert [(d["device"], d["document"], d["percentage"]) for d in body["devices"]] == [
        ("phone", H2, 0.3),
        ("kobo", H1, 0.4),
    ]
    assert body["devices"][0]["deviceId"] == md5("phone").upper()
    assert body["devices"][0]["timestamp"] == clock.from_unix(now)
    library = (await api.get(f"/api/library/{book.id}/progress")).json()
    assert library == body


async def test_filename_mode_document_matches(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Beloved", hashes=[H1], filename="Toni Morrison - Beloved.epub")
    await record(runtime, md5("Toni Morrison - Beloved.epub"), 0.5, clock.unix())
    assert (await status_of(api, book.id))["progress"] == 0.5


async def test_finish_reread_and_paused(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Middlemarch", hashes=[H1])
    now = clock.unix()
    await record(runtime, H1, 0.5, now - 40 * DAY)
    assert (await status_of(api, book.id))["readingStatus"] == "paused"  # older than pausedAfterDays (30)
    await runtime.preferences.patch({"pausedAfterDays": 60})
    assert (await status_of(api, book.id))["readingStatus"] == "reading"  # decided when asked

    await record(runtime, H1, 0.98, now - 30 * DAY, device="kindle")  # reaches finishedThreshold
    await record(runtime, H1, 0.6, now - 29 * DAY, device="phone")  # a device behind: still finished
    await record(runtime, H1, 0.99, now - 28 * DAY)  # no second finish for the same reading
    assert (await status_of(api, book.id))["readingStatus"] == "finished"
    await record(runtime, H1, 0.05, now - 10 * DAY)  # started again
    assert (await status_of(api, book.id))["readingStatus"] == "reading"
    await record(runtime, H1, 1, now - DAY)
    finishes = await runtime.db.fetchall("SELECT started_at, finished_at FROM reading_finishes ORDER BY id")
    assert [tuple(row) for row in finishes] == [(now - 40 * DAY, now - 30 * DAY), (now - 10 * DAY, now - DAY)]
    assert (await status_of(api, book.id))["readingStatus"] == "finished"


async def test_manual_status_wins_until_cleared(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Emma", hashes=[H1])
    await record(runtime, H1, 0.3, clock.unix())
    response = await api.put(f"/api/library/{book.id}/reading-status", json={"status": "finished"})
    assert response.status_code == 200
    assert response.json() == {"bookId": book.id, "readingStatus": "finished", "progress": 0.3}
    await record(runtime, H1, 0.35, clock.unix())
    assert (await status_of(api, book.id))["readingStatus"] == "finished"
    response = await api.delete(f"/api/library/{book.id}/reading-status")
    assert response.json() == {"bookId": book.id, "readingStatus": "reading", "progress": 0.35}

    unread = await add_book(runtime, "Persuasion")
    response = await api.put(f"/api/library/{unread.id}/reading-status", json={"status": "paused"})
    assert response.json()["readingStatus"] == "paused"


@pytest.mark.parametrize(
    "path,body,status",
    [
        ("/api/library/not-a-uuid/reading-status", {"status": "reading"}, 400),
        ("/api/library/7d1b6c1e-5f0a-4f57-9a57-0c2d1f1e8a01/reading-status", {"status": "reading"}, 404),
        ("/api/library/7d1b6c1e-5f0a-4f57-9a57-0c2d1f1e8a02/progress", None, 404),
    ],
)
async def test_reading_status_errors(api: httpx.AsyncClient, path: str, body: dict | None, status: int) -> None:
    response = await (api.put(path, json=body) if body is not None else api.get(path))
    assert response.status_code == status and set(response.json()) == {"error"}


async def test_override_needs_a_known_status_and_a_library_book(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Emma")
    for body in ({"status": "done"}, {}, {"status": None}):
        response = await api.put(f"/api/library/{book.id}/reading-status", json=body)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"
    inbox = await add_book(runtime, "Waiting", status="review")
    assert (await api.get(f"/api/library/{inbox.id}/progress")).status_code == 404


async def test_unmatched_listing_and_link(api: httpx.AsyncClient, runtime: Runtime) -> None:
    book = await add_book(runtime, "Dune", ["Frank Herbert"], hashes=[H1])
    now = clock.unix()
    metadata = {"filename": "copy.epub", "title": "Something Else", "authors": "Nobody"}
    await runtime.reading.record(
        await runtime.accounts.first_admin_id(),
        Progress(H3, "kobo", 0.2, "12", device_id="K" * 32, metadata=metadata),
        at=now - 60,
    )
    await record(runtime, H3, 0.99, now - 30, device="phone")
    await record(runtime, H1, 0.05, now)

    listing = (await api.get("/api/reading/unmatched")).json()
    assert listing == {
        "data": [
            {"document": H3, "device": "phone", "percentage": 0.99, "timestamp": clock.from_unix(now - 30),
             "metadata": metadata}
        ]
    }  # fmt: skip

    bad = await api.post(f"/api/reading/unmatched/{H3}/link", json={"bookId": "nope"})
    assert bad.status_code == 400
    missing = await api.post(f"/api/reading/unmatched/{H3}/link", json={"bookId": str(uuid.uuid4())})
    assert missing.status_code == 404
    nothing = await api.post(f"/api/reading/unmatched/{H2}/link", json={"bookId": book.id})
    assert nothing.status_code == 404

    linked = await api.post(f"/api/reading/unmatched/{H3}/link", json={"bookId": book.id})
    assert linked.status_code == 200
    assert linked.json() == {"document": H3, "bookId": book.id, "method": "user"}
    assert (await api.get("/api/reading/unmatched")).json() == {"data": []}
    again = await api.post(f"/api/reading/unmatched/{H3}/link", json={"bookId": book.id})
    assert again.status_code == 409
    # The linked history counts: 0.99 was a finish, then H1's later 0.05 started a re-read.
    body = await status_of(api, book.id)
    assert {d["document"] for d in body["devices"]} == {H1, H3}
    assert body["readingStatus"] == "reading" and body["progress"] == 0.05
    assert (await runtime.db.fetchone("SELECT count(*) FROM reading_finishes"))[0] == 1


@pytest.mark.parametrize(
    "metadata,expected",
    [
        ({"title": "The Dispossessed", "authors": "Ursula K. Le Guin"}, "leguin"),
        ({"title": "the dispossessed", "authors": "Le Guin, Ursula K."}, "leguin"),
        ({"title": "The Dispossessed", "authors": "Someone Else"}, None),
        ({"title": "Solaris", "authors": "Stanisław Lem"}, None),  # two books fit: no guess
        ({"filename": "/mnt/onboard/Lem - Solaris (2).epub", "title": "Solaris"}, "lem2"),
        ({"title": "Unknown Book"}, None),
    ],
)
async def test_metadata_matches_exactly_one_book(
    api: httpx.AsyncClient, runtime: Runtime, metadata: dict, expected: str | None
) -> None:
    books_by_key = {
        "leguin": await add_book(runtime, "The Dispossessed", ["Ursula K. Le Guin"], hashes=["1" * 32]),
        "lem1": await add_book(runtime, "Solaris", ["Stanisław Lem"], hashes=["2" * 32]),
        "lem2": await add_book(runtime, "Solaris", ["Stanisław Lem"], hashes=["3" * 32],
                               filename="Lem - Solaris (2).epub"),
    }  # fmt: skip
    await runtime.reading.record(
        await runtime.accounts.first_admin_id(), Progress(H3, "kobo", 0.4, "7", device_id="K" * 32, metadata=metadata)
    )
    unmatched = (await api.get("/api/reading/unmatched")).json()["data"]
    if expected is None:
        assert [entry["document"] for entry in unmatched] == [H3]
        return
    assert unmatched == []
    body = await status_of(api, books_by_key[expected].id)
    assert body["progress"] == 0.4 and body["devices"][0]["document"] == H3
    link = await runtime.db.fetchone("SELECT method FROM document_links WHERE document = ?", (H3,))
    assert link["method"] == "metadata"


async def test_lists_by_status_with_sort_search_and_pages(api: httpx.AsyncClient, runtime: Runtime) -> None:
    now = clock.unix()
    a = await add_book(runtime, "Anathem", ["Neal Stephenson"], hashes=["1" * 32])
    b = await add_book(runtime, "Babel", ["R. F. Kuang"], hashes=["2" * 32])
    c = await add_book(runtime, "Circe", ["Madeline Miller"], hashes=["3" * 32])
    await add_book(runtime, "Dracula", ["Bram Stoker"])
    await add_book(runtime, "Emma (inbox)", status="review", hashes=["4" * 32])
    await record(runtime, "1" * 32, 0.7, now - 300)
    await record(runtime, "2" * 32, 0.2, now - 100)
    await record(runtime, "3" * 32, 0.5, now - 200)
    await record(runtime, "4" * 32, 0.5, now)

    counts = (await api.get("/api/reading-status/counts")).json()
    assert counts == {"unread": 1, "reading": 3, "finished": 0, "paused": 0}

    page = (await api.get("/api/reading-status/reading")).json()
    assert [book["title"] for book in page["data"]] == ["Anathem", "Babel", "Circe"]
    assert (page["page"], page["perPage"], page["total"], page["totalPages"]) == (1, 20, 3, 1)
    first = page["data"][0]
    assert first["id"] == a.id and first["percentage"] == 0.7 and first["readingStatus"] == "reading"
    assert first["progress"] == 0.7 and first["lastReadAt"] == clock.from_unix(now - 300)
    assert first["files"][0]["koreaderHash"] == "1" * 32

    by_percentage = (await api.get("/api/reading-status/reading?sort=percentage&order=desc")).json()
    assert [book["id"] for book in by_percentage["data"]] == [a.id, c.id, b.id]
    by_last_read = (await api.get("/api/reading-status/reading?sort=lastRead&order=desc&perPage=2&page=1")).json()
    assert [book["id"] for book in by_last_read["data"]] == [b.id, c.id] and by_last_read["totalPages"] == 2
    searched = (await api.get("/api/reading-status/reading", params={"search": "circ"})).json()
    assert [book["id"] for book in searched["data"]] == [c.id]
    aliased = (await api.get("/api/reading-status/reading", params={"q": "kuang"})).json()
    assert [book["id"] for book in aliased["data"]] == [b.id]
    odd = await api.get("/api/reading-status/reading", params={"search": '"AND (*'})
    assert odd.status_code == 200
    unread = (await api.get("/api/reading-status/unread")).json()
    assert [book["title"] for book in unread["data"]] == ["Dracula"]
    assert unread["data"][0]["percentage"] is None and unread["data"][0]["lastReadAt"] is None


@pytest.mark.parametrize("query", ["perPage=101", "page=0", "sort=rating", "order=up", "perPage=x"])
async def test_list_rejects_bad_queries(api: httpx.AsyncClient, query: str) -> None:
    response = await api.get(f"/api/reading-status/reading?{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


async def test_unknown_status_is_400(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/reading-status/done")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


async def test_annotate_fills_many_books(runtime: Runtime) -> None:
    reading = await add_book(runtime, "One", hashes=["1" * 32])
    unread = await add_book(runtime, "Two")
    await record(runtime, "1" * 32, 0.42, clock.unix())
    await runtime.reading.annotate(await runtime.accounts.first_admin_id(), [reading, unread])
    assert (reading.reading_status, reading.progress) == ("reading", 0.42)
    assert (unread.reading_status, unread.progress) == ("unread", None)
    assert reading.to_json()["readingStatus"] == "reading"


async def test_a_write_that_cannot_be_stored_does_not_lose_its_batch(runtime: Runtime) -> None:
    admin = await runtime.accounts.first_admin_id()
    good = [Progress(f"{n:032x}", "kobo", 0.1 * n, str(n), device_id="K" * 32) for n in range(5)]
    bad = Progress("f" * 32, None, 0.5, "1")  # type: ignore[arg-type]  # violates NOT NULL in the database
    results = await asyncio.gather(
        *(runtime.reading.record(admin, update) for update in [*good[:2], bad, *good[2:]]), return_exceptions=True
    )
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert all(isinstance(r, int) for n, r in enumerate(results) if n != 2)
    stored = await runtime.db.fetchall("SELECT document FROM reading_history ORDER BY id")
    assert [row[0] for row in stored] == [update.document for update in good]
