"""The index and its vocabulary: rebuild command, start-up check, time box, near-miss lookup, and a real server."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bookshelf.db import books as book_rows
from bookshelf.db import search as search_sql
from bookshelf.db.connection import connect_sync
from bookshelf.models import Book
from bookshelf.runtime import Runtime
from bookshelf.services.search.vocabulary import Vocabulary, allowed_typos, edit_distance
from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.library_books import add_book
from tests.serve import bookshelf_command, running_server


def _fts_rows(db: Path) -> int:
    conn = connect_sync(db)
    try:
        return conn.execute("SELECT count(*) FROM books_fts_docsize").fetchone()[0]
    finally:
        conn.close()


def _break_index(db: Path) -> None:
    """Empty the index behind the triggers' back, as a crash mid-rebuild or a hand edit could."""
    conn = connect_sync(db)
    try:
        conn.execute("INSERT INTO books_fts (books_fts) VALUES ('delete-all')")
    finally:
        conn.close()


async def test_start_rebuilds_an_index_that_disagrees(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    try:
        await add_book(rt, "Wuthering Heights", ["Emily Brontë"])
    finally:
        await rt.close()
    _break_index(settings.db_path)
    assert _fts_rows(settings.db_path) == 0
    rt = await Runtime.open(settings, background=False)
    try:
        assert _fts_rows(settings.db_path) == 1
        assert len(await rt.search.match("bronte", ("organized",))) == 1
    finally:
        await rt.close()


async def test_reindex_command(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    try:
        for i in range(3):
            await add_book(rt, f"Book {i}", ["Author"])
    finally:
        await rt.close()
    _break_index(settings.db_path)
    result = subprocess.run(
        [*bookshelf_command(), "reindex", "--data-dir", str(settings.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "reindexed 3 books" in result.stdout
    assert _fts_rows(settings.db_path) == 3


def test_time_box_interrupts_a_runaway_query(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    started = time.monotonic()
    with pytest.raises(search_sql.QueryTimeout):
        with search_sql.time_box(conn, 0.2):
            conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c")
    assert time.monotonic() - started < 2
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the handler is gone afterwards


async def test_a_search_past_its_deadline_is_503(runtime: Runtime, api: httpx.AsyncClient) -> None:
    async with runtime.db.write() as conn:  # enough rows that the query outlives a zero deadline
        for i in range(1500):
            await book_rows.insert(
                conn,
                Book(
                    id=str(uuid.uuid4()),
                    status="organized",
                    title=f"Some Title {i}",
                    authors=[f"Author {i % 50}"],
                    genres=["Fiction", f"Genre {i % 7}"],
                    created_at="2026-01-01T00:00:00Z",
                    updated_at="2026-01-01T00:00:00Z",
                ),
            )
    assert (await api.get("/api/library", params={"q": "title"})).json()["total"] == 1500
    runtime.search.timeout = 0.0  # every statement is already late
    response = await api.get("/api/library", params={"q": "some title"})  # not answered before: not kept
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    # Facets walk the whole list by design and are cached after; a search's deadline does not refuse them.
    facets = await api.get("/api/library/facets")
    assert facets.status_code == 200 and facets.json()["totals"]["books"] == 1500


@pytest.mark.parametrize(
    "a,b,distance",
    [("kitten", "sitting", 3), ("dostoyevksy", "dostoyevsky", 1), ("abc", "abc", 0), ("ca", "abc", 3), ("", "ab", 2)],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance
    assert edit_distance(a, b, distance - 1) == distance if distance else True


def test_typo_budget() -> None:
    assert [allowed_typos("x" * n) for n in (3, 4, 5, 7, 8, 20)] == [0, 1, 1, 1, 2, 2]


def test_near_finds_every_term_within_budget_like_brute_force() -> None:
    rng = random.Random(7)
    letters = "abcdeilmnorst"
    terms = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) for _ in range(3000)}
    vocabulary = Vocabulary([(t, 1) for t in terms])
    for _ in range(300):
        word = rng.choice(sorted(terms))
        chars = list(word)
        for _ in range(rng.randint(0, 2)):  # random edits: substitute, delete, insert, swap
            i = rng.randrange(len(chars))
            kind = rng.randrange(4)
            if kind == 0:
                chars[i] = rng.choice(letters)
            elif kind == 1 and len(chars) > 1:
                del chars[i]
            elif kind == 2:
                chars.insert(i, rng.choice(letters))
            elif i + 1 < len(chars):
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
        typed = "".join(chars)
        budget = allowed_typos(typed)
        expected = {t for t in terms if t != typed and edit_distance(typed, t, budget) <= budget} if budget else set()
        assert set(vocabulary.near(typed, budget, limit=10_000)) == expected, typed
        # Asked again (remembered by the snapshot), and with a smaller limit: the closest of the same.
        again = vocabulary.near(typed, budget, limit=10_000)
        assert set(again) == expected and vocabulary.near(typed, budget, limit=2) == again[:2], typed


def test_vocabulary_prefix_and_membership() -> None:
    vocabulary = Vocabulary([("bronte", 3), ("brothers", 1), ("dostoyevsky", 2)])
    assert "bronte" in vocabulary and "bront" not in vocabulary
    assert vocabulary.has_prefix("bro") and not vocabulary.has_prefix("brx")
    assert vocabulary.near("bronte", 1) == []  # the word itself is not a correction
    assert vocabulary.near("bronet", 1) == ["bronte"]


def test_served_library_end_to_end(tmp_path: Path) -> None:
    """`bookshelf serve` as a subprocess: search with a typo, a ranged download, suggestions."""
    import anyio

    settings = make_settings(tmp_path)

    async def prepare() -> tuple[str, str, str]:
        rt = await Runtime.open(settings, background=False)
        try:
            book = await add_book(rt, "The Brothers Karamazov", ["Fyodor Dostoyevsky"], file_bytes=b"0123456789" * 50)
            await add_book(rt, "Jane Eyre", ["Charlotte Brontë"])
            _, key = await rt.keys.create("serve test")
            return key, book.id, book.files[0].id
        finally:
            await rt.close()

    key, book_id, file_id = anyio.run(prepare)
    with running_server(settings.data_dir) as server:
        with httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=10) as http:
            found = http.get("/api/library", params={"q": "Dostoyevksy karamazov"}).json()
            assert [b["id"] for b in found["data"]] == [book_id]
            assert [b["title"] for b in http.get("/api/library", params={"q": "bronte"}).json()["data"]] == [
                "Jane Eyre"
            ]
            part = http.get(f"/api/library/{book_id}/download/{file_id}", headers={"Range": "bytes=10-19"})
            assert part.status_code == 206 and part.content == b"0123456789"
            assert part.headers["content-range"] == "bytes 10-19/500"
            suggestions = http.get("/api/search/suggest", params={"q": "kara"}).json()["data"]
            assert [s["id"] for s in suggestions] == [book_id]
            assert http.get("/api/library/facets").json()["totals"]["books"] == 2
            assert http.get("/api/library", params={"q": '"NEAR(*'}).status_code == 200


async def test_remembered_match_counts_follow_every_change(runtime: Runtime, api: httpx.AsyncClient) -> None:
    async def total(query: str) -> int:
        return int((await api.get("/api/library", params={"q": query})).json()["total"])

    first = await add_book(runtime, "Lighthouse Keeper", ["Ann Writer"])
    assert await total("lighthouse") == 1 and await total("lighthuose") == 1
    assert await total("lighthouse") == 1  # the same count again, now remembered
    await add_book(runtime, "The Lighthouse", ["Bo Writer"])
    assert await total("lighthouse") == 2 and await total("lighthuose") == 2
    await runtime.removal.delete(first.id, keep_files=False)
    assert await total("lighthouse") == 1 and await total("lighthuose") == 1
    assert len(runtime.search.counts) > 0
