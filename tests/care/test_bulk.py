"""Bulk approve and delete: a result per book, 500 books in one request, rules applied per field."""

from __future__ import annotations

import hashlib
import time
import uuid

import httpx

from bookshelf import clock
from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.models import Book, BookFile, Candidate
from bookshelf.runtime import Runtime
from tests.seed import add_book, reload


async def review_books(rt: Runtime, count: int) -> list[str]:
    """Books in review as ingest and a lookup leave them: a small file in incoming, a `file` candidate and a
    provider candidate (no cover, so nothing reaches the network)."""
    now = clock.now_iso()
    ids = []
    async with rt.db.write() as conn:
        for n in range(count):
            book = Book(id=str(uuid.uuid4()), status="review", title=f"File Title {n}", authors=["File Author"],
                        language="en", created_at=now, updated_at=now)  # fmt: skip
            data = f"book {n}".encode()
            (rt.settings.incoming_dir / book.id).mkdir(parents=True)
            (rt.settings.incoming_dir / book.id / "book.epub").write_bytes(data)
            await book_rows.insert(conn, book)
            await book_rows.insert_file(conn, BookFile(
                id=str(uuid.uuid4()), book_id=book.id, format="epub", root="incoming", path=f"{book.id}/book.epub",
                filename="book.epub", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                koreader_hash=hashlib.md5(data).hexdigest(), page_count=None, added_at=now))  # fmt: skip
            file_data = {"title": book.title, "authors": book.authors, "language": "en"}
            remote = {"title": f"Provider Title {n}", "authors": ["Provider Author"], "publisher": "Ace",
                      "publishedYear": 1969, "language": "fr"}  # fmt: skip
            for source, score, values in (("file", 1.0, file_data), ("google_books", 0.8, remote)):
                await candidate_rows.insert(conn, Candidate(id=str(uuid.uuid4()), book_id=book.id, source=source,
                                                            source_id=None, score=score, data=values,
                                                            fetched_at=now))  # fmt: skip
            ids.append(book.id)
    return ids


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
