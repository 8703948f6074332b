"""The inbox endpoints over real books: lists, search, sorts, counts, stages, rescan and delete."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from tests.builders import make_epub
from tests.conftest import make_settings
from tests.ingest.conftest import book_status, cover_png, wait_for, write_epub


async def ingest_all(rt: Runtime, folder: Path, books: list[tuple[str, list[str]]]) -> list[str]:
    ids = []
    for i, (title, authors) in enumerate(books):
        path = write_epub(folder, f"b{i}.epub", title, authors=authors, cover=cover_png() if i == 0 else None)
        ids.append((await rt.ingest.accept(path)).book_id)

    async def done() -> bool:
        return all([await book_status(rt, b) == "review" for b in ids])

    await wait_for(done, what="all in review")
    return ids


BOOKS = [
    ("Wuthering Heights", ["Emily Brontë"]),
    ("The Brothers Karamazov", ["Fyodor Dostoyevsky"]),
    ("Anna Karenina", ["Leo Tolstoy"]),
]


async def test_list_sort_search_and_count(live: Runtime, live_api: httpx.AsyncClient, tmp_path: Path) -> None:
    ids = await ingest_all(live, tmp_path / "src", BOOKS)
    page = (await live_api.get("/api/inbox")).json()
    assert page["total"] == 3 and page["page"] == 1 and page["limit"] == 20 and page["totalPages"] == 1
    assert [b["id"] for b in page["data"]] == ids[::-1], "newest detected first by default"
    assert all(b["files"] for b in page["data"])
    titles = [b["title"] for b in (await live_api.get("/api/inbox?sort=title_asc")).json()["data"]]
    assert titles == ["Anna Karenina", "The Brothers Karamazov", "Wuthering Heights"]
    oldest = (await live_api.get("/api/inbox?sort=detected_oldest&limit=1&page=2")).json()
    assert [b["id"] for b in oldest["data"]] == [ids[1]] and oldest["totalPages"] == 3
    found = (await live_api.get("/api/inbox", params={"q": "bronte"})).json()
    assert [b["title"] for b in found["data"]] == ["Wuthering Heights"]
    assert (await live_api.get("/api/inbox", params={"q": '"*( AND'})).status_code == 200
    assert (await live_api.get("/api/inbox?limit=101")).status_code == 400
    assert (await live_api.get("/api/inbox?sort=nope")).status_code == 400
    assert (await live_api.get("/api/inbox?page=0")).status_code == 400
    assert (await live_api.get("/api/inbox?page=9")).json()["data"] == []

    # The status filter works across pages, not on one page already loaded.
    async with live.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'failed', error = 'bad zip' WHERE id = ?", (ids[1],))
    failed = (await live_api.get("/api/inbox?status=failed&limit=1")).json()
    assert [b["id"] for b in failed["data"]] == [ids[1]] and failed["total"] == 1
    review = (await live_api.get("/api/inbox", params={"status": "review", "q": "bronte"})).json()
    assert [b["title"] for b in review["data"]] == ["Wuthering Heights"]
    assert (await live_api.get("/api/inbox?status=organized")).status_code == 400
    async with live.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'review', error = NULL WHERE id = ?", (ids[1],))

    assert (await live_api.get("/api/inbox/count")).json() == {
        "count": 3, "byStatus": {"processing": 0, "review": 3, "failed": 0}
    }  # fmt: skip
    assert (await live_api.get("/api/inbox/processing")).json() == {}

    # Organized books are not in the inbox.
    async with live.db.write() as conn:
        await conn.execute("UPDATE books SET status = 'organized' WHERE id = ?", (ids[0],))
    assert (await live_api.get(f"/api/inbox/{ids[0]}")).status_code == 404
    assert (await live_api.get(f"/api/inbox/{ids[0]}/cover")).status_code == 404
    assert (await live_api.get("/api/inbox/count")).json()["count"] == 2
    assert (await live_api.get("/api/inbox/not-a-uuid")).status_code == 400
    assert (await live_api.get("/api/inbox/00000000-0000-4000-8000-000000000000")).status_code == 404
    drawn = await live_api.get(f"/api/inbox/{ids[1]}/cover")  # no cover of its own: a generated one
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/jpeg"


async def test_stages_are_reported_while_processing(tmp_path: Path) -> None:
    quiet = make_settings(tmp_path / "quiet", start_consumer=False)
    rt = await Runtime.open(quiet)
    try:
        book_id = (await rt.ingest.accept(write_epub(tmp_path / "s", "s.epub", "Staged"))).book_id
        assert await rt.inbox.stages() == {book_id: "parsing"}
        assert await rt.inbox.count() == {"processing": 1, "review": 0, "failed": 0}
    finally:
        await rt.close()


async def test_possible_duplicates_are_flagged(live: Runtime, live_api: httpx.AsyncClient, tmp_path: Path) -> None:
    first = make_epub(tmp_path / "a.epub", title="The Dispossessed", authors=["Ursula K. Le Guin"])
    second = make_epub(tmp_path / "b.epub", title="the dispossessed ", authors=["Ursula K. Le Guin"], language="de")
    third = make_epub(tmp_path / "c.epub", title="Other Title", isbn="9780060512750")
    fourth = make_epub(tmp_path / "d.epub", title="Same ISBN Different Name", isbn="9780060512750")
    ids = [(await live.ingest.accept(p)).book_id for p in (first, second, third, fourth)]

    async def done() -> bool:
        return all([await book_status(live, b) == "review" for b in ids])

    await wait_for(done, what="review")
    books = [(await live_api.get(f"/api/inbox/{b}")).json() for b in ids]
    assert books[0]["possibleDuplicateOf"] is None and books[1]["possibleDuplicateOf"] == ids[0]
    assert books[2]["possibleDuplicateOf"] is None and books[3]["possibleDuplicateOf"] == ids[2]


# Three copies of one book, alike by folded title and first author, or only by ISBN.
COPIES = {
    "title": [
        {"title": t, "authors": ["Ursula K. Le Guin"]}
        for t in ("The Dispossessed", "the dispossessed ", "THE DISPOSSESSED")
    ],
    "isbn": [{"title": t, "isbn": "9780060512750"} for t in ("Anarres", "The Dispossessed", "Les Dépossédés")],
}


@pytest.mark.parametrize("alike", sorted(COPIES))
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_the_later_arrival_is_the_duplicate_whatever_order_the_parses_finish(
    runtime: Runtime, tmp_path: Path, order: tuple[int, ...], alike: str
) -> None:
    """Parses run side by side, so the last book dropped may be read first: every later arrival
    still points to one that arrived before it, and the first is never flagged."""
    paths = [make_epub(tmp_path / f"{i}.epub", **copy) for i, copy in enumerate(COPIES[alike])]
    ids = [(await runtime.ingest.accept(p)).book_id for p in paths]
    for i in order:
        await asyncio.to_thread(runtime.ingest.parse, ids[i])
    flags = [(await runtime.db.fetchone("SELECT possible_duplicate_of FROM books WHERE id = ?", (b,)))[0] for b in ids]
    assert flags[0] is None
    assert all(flags[i] in ids[:i] for i in (1, 2)), (order, flags, ids)


async def test_rescan_replaces_the_file_candidate(live: Runtime, live_api: httpx.AsyncClient, tmp_path: Path) -> None:
    [book_id] = await ingest_all(live, tmp_path / "src", [("Before", ["Ann Author"])])
    before = (await live_api.get(f"/api/inbox/{book_id}")).json()["candidates"]
    async with live.db.write() as conn:  # a remote candidate from an earlier lookup
        await conn.execute(
            "INSERT INTO candidates (id, book_id, source, score, data, fetched_at) "
            "VALUES ('remote-1', ?, 'openlibrary', 0.5, '{}', '2026-01-01T00:00:00Z')",
            (book_id,),
        )
    make_epub(live.settings.incoming_dir / book_id / "b0.epub", title="After")
    response = await live_api.patch(f"/api/inbox/{book_id}/rescan")
    assert response.status_code == 202 and response.json()["bookId"] == book_id and response.json()["jobId"]

    async def retitled() -> bool:
        row = await live.db.fetchone("SELECT status, title FROM books WHERE id = ?", (book_id,))
        return tuple(row) == ("review", "After")

    await wait_for(retitled, what="the rescanned title")
    after = (await live_api.get(f"/api/inbox/{book_id}")).json()["candidates"]
    assert [c["source"] for c in after] == ["file"] and after[0]["title"] == "After"
    assert after[0]["id"] != before[0]["id"]
    assert (await live_api.patch("/api/inbox/00000000-0000-4000-8000-000000000000/rescan")).status_code == 404


async def test_delete_moves_files_to_trash_and_keeps_progress(live: Runtime, live_api: httpx.AsyncClient,
                                                              tmp_path: Path) -> None:  # fmt: skip
    ids = await ingest_all(live, tmp_path / "src", BOOKS[:2])
    stored = live.settings.incoming_dir / ids[0] / "b0.epub"
    data = stored.read_bytes()
    koreader = (await live_api.get(f"/api/inbox/{ids[0]}")).json()["files"][0]["koreaderHash"]
    admin = await live.accounts.first_admin_id()
    async with live.db.write() as conn:
        await conn.execute(
            "INSERT INTO progress (user_id, document, device_id, device, percentage, progress, timestamp, seq) "
            "VALUES (?, ?, 'dev', 'Kobo', 0.5, '/body/p[1]', 1, 1)",
            (admin, koreader),
        )
    response = await live_api.delete(f"/api/books/{ids[0]}")
    assert response.status_code == 200 and response.json() == {"deleted": True, "id": ids[0]}
    assert not stored.exists() and not stored.parent.exists()
    trashed = [p for p in live.settings.trash_dir.rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in trashed] == [data]
    row = await live.db.fetchone("SELECT title, book, files FROM trash WHERE book_id = ?", (ids[0],))
    assert row[0] == "Wuthering Heights" and '"Emily Brontë"' in row[1] and "b0.epub" in row[2]
    assert (await live.db.fetchone("SELECT count(*) FROM progress"))[0] == 1
    assert (await live.db.fetchone("SELECT count(*) FROM jobs WHERE book_id = ?", (ids[0],)))[0] == 0
    assert (await live.db.fetchone("SELECT count(*) FROM candidates WHERE book_id = ?", (ids[0],)))[0] == 0
    assert (await live_api.delete(f"/api/books/{ids[0]}")).status_code == 404
    assert (await live_api.delete("/api/books/nope")).status_code == 400

    # keepFiles leaves the file where it is.
    kept = live.settings.incoming_dir / ids[1] / "b1.epub"
    assert (await live_api.delete(f"/api/books/{ids[1]}?keepFiles=true")).status_code == 200
    assert kept.is_file()
    assert (await live_api.get("/api/inbox/count")).json()["count"] == 0
