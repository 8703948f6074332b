"""Bulk approve and delete: a result per book, 500 books in one request, rules applied per field."""

from __future__ import annotations

import time
import uuid

import httpx

from bookshelf.runtime import Runtime
from tests.care.review_books import review_books
from tests.seed import add_book, reload


async def test_bulk_approve_of_500_books_gives_a_result_for_each(api: httpx.AsyncClient, runtime: Runtime) -> None:
    ids = await review_books(runtime, 500)
    started = time.monotonic()
    response = await api.post("/api/books/approve", json={"bookIds": ids, "rule": "file_first"}, timeout=120)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["bookId"] for r in results] == ids
    assert {r["status"] for r in results} == {"approved"}
    assert len({r["jobId"] for r in results}) == 500
    print(f"bulk approve of 500 books: {elapsed:.2f}s")
    book = await reload(runtime, ids[7])
    assert book.status == "organized"
    assert book.title == "File Title 7" and book.authors == ["File Author"] and book.language == "en"  # file kept
    assert book.publisher == "Ace" and book.published_year == 1969  # gaps filled from the candidate

    again = (await api.post("/api/books/approve", json={"bookIds": ids[:2]})).json()["results"]
    assert [r["status"] for r in again] == ["skipped", "skipped"] and "organized" in again[0]["message"]


async def test_candidate_first_takes_the_candidates_values(api: httpx.AsyncClient, runtime: Runtime) -> None:
    ids = await review_books(runtime, 2)
    unknown = str(uuid.uuid4())
    response = await api.post("/api/books/approve", json={"bookIds": [ids[0], unknown], "rule": "candidate_first"})
    results = response.json()["results"]
    assert results[0]["status"] == "approved" and results[1] == {"bookId": unknown, "status": "skipped",
                                                                 "message": "Book not found"}  # fmt: skip
    book = await reload(runtime, ids[0])
    assert book.title == "Provider Title 0" and book.authors == ["Provider Author"] and book.language == "fr"


async def test_bulk_approve_of_a_book_without_candidates_keeps_the_file_values(api: httpx.AsyncClient,
                                                                              runtime: Runtime) -> None:  # fmt: skip
    book = await add_book(runtime, "Only The File", cover=False)
    results = (await api.post("/api/books/approve", json={"bookIds": [book.id], "rule": "candidate_first"})).json()
    assert results["results"][0]["status"] == "approved"
    assert (await reload(runtime, book.id)).title == "Only The File"


async def test_bulk_input_is_checked(api: httpx.AsyncClient) -> None:
    for body in ({}, {"bookIds": []}, {"bookIds": ["nope"]}, {"bookIds": [str(uuid.uuid4())], "rule": "any"},
                 {"bookIds": [str(uuid.uuid4())], "extra": 1}):  # fmt: skip
        response = await api.post("/api/books/approve", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_input"
    assert (await api.post("/api/books/delete", json={"bookIds": [str(uuid.uuid4())], "keepFiles": "y"})).status_code \
        == 400  # fmt: skip


async def test_bulk_delete_sends_each_book_to_the_trash(api: httpx.AsyncClient, runtime: Runtime) -> None:
    ids = await review_books(runtime, 3)
    unknown = str(uuid.uuid4())
    response = await api.post("/api/books/delete", json={"bookIds": [*ids, unknown]})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["deleted", "deleted", "deleted", "skipped"]
    trash = (await api.get("/api/trash")).json()
    assert sorted(e["bookId"] for e in trash["data"]) == sorted(ids)
    for entry in trash["data"]:
        assert any(p.is_file() for p in (runtime.settings.trash_dir / entry["id"]).iterdir())
    assert (await api.get(f"/api/books/{ids[0]}/candidates")).status_code == 404
