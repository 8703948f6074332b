"""/api/library and /api/search/suggest through the real app: filters, sorts, pages, facets, one book, covers."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from bookshelf.runtime import Runtime
from tests.library_books import add_book

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
async def shelf(runtime: Runtime) -> Runtime:
    await add_book(runtime, "The Left Hand of Darkness", ["Ursula K. Le Guin"], series="Hainish Cycle",
                   series_index=4, genres=["Science Fiction"], age_days=1, cover=True)  # fmt: skip
    await add_book(runtime, "A Wizard of Earthsea", ["Ursula K. Le Guin"], series="Earthsea", series_index=1,
                   genres=["Fantasy", "Young Adult"], age_days=2)  # fmt: skip
    await add_book(runtime, "Jane Eyre", ["Charlotte Brontë"], genres=["Classics"], age_days=3, formats=("epub", "pdf"))
    await add_book(runtime, "Die Verwandlung", ["Franz Kafka"], genres=["classics"], language="de", age_days=4,
                   formats=("pdf",))  # fmt: skip
    await add_book(runtime, "Brave New World", ["Aldous Huxley"], genres=["Science Fiction"], age_days=5)
    await add_book(runtime, "Inbox Only Draft", ["Pending Person"], status="review", age_days=6)
    return runtime


async def _titles(api: httpx.AsyncClient, **params: object) -> list[str]:
    response = await api.get("/api/library", params=params)
    assert response.status_code == 200, response.text
    return [b["title"] for b in response.json()["data"]]


async def test_lists_only_organized_books_sorted_by_title(shelf: Runtime, api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/library")).json()
    assert [b["title"] for b in body["data"]] == [
        "Brave New World", "Die Verwandlung", "Jane Eyre", "The Left Hand of Darkness", "A Wizard of Earthsea",
    ]  # fmt: skip
    assert (body["page"], body["limit"], body["total"], body["totalPages"]) == (1, 20, 5, 1)
    first = body["data"][0]
    assert first["status"] == "organized" and first["author"] == "Aldous Huxley" and first["files"]


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("title_desc", ["A Wizard of Earthsea", "The Left Hand of Darkness", "Jane Eyre"]),
        ("author_asc", ["Jane Eyre", "Brave New World", "Die Verwandlung"]),
        ("author_desc", ["A Wizard of Earthsea", "The Left Hand of Darkness", "Die Verwandlung"]),
        ("added_newest", ["Brave New World", "Die Verwandlung", "Jane Eyre"]),
        ("added_oldest", ["The Left Hand of Darkness", "A Wizard of Earthsea", "Jane Eyre"]),
    ],
)
async def test_sorts(shelf: Runtime, api: httpx.AsyncClient, sort: str, expected: list[str]) -> None:
    assert (await _titles(api, sort=sort, limit=3)) == expected


async def test_filters(shelf: Runtime, api: httpx.AsyncClient) -> None:
    assert await _titles(api, author="le gui") == ["The Left Hand of Darkness", "A Wizard of Earthsea"]
    assert await _titles(api, genre="CLASSICS") == ["Die Verwandlung", "Jane Eyre"]
    assert await _titles(api, genre="Class") == []  # exact, not partial
    assert await _titles(api, series="earthsea") == ["A Wizard of Earthsea"]
    assert await _titles(api, language="DE") == ["Die Verwandlung"]
    assert await _titles(api, format="pdf") == ["Die Verwandlung", "Jane Eyre"]
    assert await _titles(api, format="pdf", genre="classics", language="en") == ["Jane Eyre"]
    assert await _titles(api, author="100%_") == []


async def test_query_with_filters_and_sorts(shelf: Runtime, api: httpx.AsyncClient) -> None:
    assert sorted(await _titles(api, q="ursula")) == ["A Wizard of Earthsea", "The Left Hand of Darkness"]
    assert (await _titles(api, q="hainish ursula")) == ["The Left Hand of Darkness"]
    assert await _titles(api, q="ursula", sort="title_desc") == ["A Wizard of Earthsea", "The Left Hand of Darkness"]
    assert await _titles(api, q="ursula", genre="fantasy") == ["A Wizard of Earthsea"]
    assert await _titles(api, q="draft") == []  # inbox books are not in the library
    assert await _titles(api, q="   ") == await _titles(api)


async def test_a_plain_page_is_answered_while_every_reader_is_busy(shelf: Runtime, api: httpx.AsyncClient) -> None:
    """Browsing never queues behind long reads (facets, a search or a filter at 100,000 books): a
    plain page whose count is known is read on the loop's own connection, and sees every change."""
    first = await _titles(api)  # counts the library in a reader
    newest = await _titles(api, sort="added_newest", limit=2)
    facets = (await api.get("/api/library/facets")).json()
    # A book arriving in the inbox changes nothing the library shows: what is known stays known.
    await add_book(shelf, "Arriving Meanwhile", ["Inbox Person"], status="review")
    async with contextlib.AsyncExitStack() as busy:
        for _ in range(shelf.db.reader_count):
            await busy.enter_async_context(shelf.db.read())
        async with asyncio.timeout(10):
            assert await _titles(api) == first
            assert await _titles(api, sort="added_newest", limit=2) == newest
            body = (await api.get("/api/library", params={"page": 2, "limit": 2, "sort": "title_desc"})).json()
            assert [b["title"] for b in body["data"]] == ["Jane Eyre", "Die Verwandlung"] and body["total"] == 5
            assert (await api.get("/api/library/facets")).json() == facets
        # A filtered list waits for a reader: its count and its page may walk the library.
        filtered = asyncio.create_task(_titles(api, language="de"))
        await asyncio.sleep(0.2)
        assert not filtered.done()
    assert await filtered == ["Die Verwandlung"]
    await add_book(shelf, "Aardvark Almanac", ["Ann Author"])
    for _ in range(2):  # counted again in a reader, then from the loop
        body = (await api.get("/api/library")).json()
        assert body["data"][0]["title"] == "Aardvark Almanac" and body["total"] == 6


async def test_a_remembered_page_shows_what_filing_did_to_a_file(runtime: Runtime, api: httpx.AsyncClient) -> None:
    """Pages are kept until the library changes; filing renames and rewrites a file without
    touching its book's row, and the page must still show the file as it now is."""
    book = await add_book(runtime, "Kindred", ["Octavia E. Butler"])
    before = [(await api.get("/api/library")).json()["data"][0]["files"] for _ in range(2)][-1]
    await runtime.organizer.organize_book(book.id)
    # The first request after a change counts again in a reader; the next is answered on the loop.
    after = [(await api.get("/api/library")).json()["data"][0]["files"] for _ in range(2)][-1]
    assert after == (await api.get(f"/api/library/{book.id}")).json()["files"]
    assert after != before


async def test_a_repeated_search_is_kept_until_the_library_changes(shelf: Runtime, api: httpx.AsyncClient) -> None:
    """Ranking every match is most of a search; a repeated one is answered without a reader (like a
    search engine's result cache) until an organized book changes, and an inbox arrival is no change."""
    first = await _titles(api, q="earthsaa")  # a typo, corrected
    assert first == ["A Wizard of Earthsea"]
    await add_book(shelf, "Earthsea Drafts", ["Inbox Person"], status="review")
    async with contextlib.AsyncExitStack() as busy:
        for _ in range(shelf.db.reader_count):
            await busy.enter_async_context(shelf.db.read())
        async with asyncio.timeout(10):
            assert await _titles(api, q="earthsaa") == first
    await add_book(shelf, "Tales from Earthsea", ["Ursula K. Le Guin"])
    both = await _titles(api, q="earthsaa")
    assert sorted(both) == ["A Wizard of Earthsea", "Tales from Earthsea"]
    assert await _titles(api, q="earthsaa", limit=1, page=2) == both[1:]


async def test_pagination(shelf: Runtime, api: httpx.AsyncClient) -> None:
    pages = [await _titles(api, page=p, limit=2) for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert len({t for p in pages for t in p}) == 5
    body = (await api.get("/api/library", params={"limit": 2, "q": "a"})).json()
    assert body["totalPages"] == -(-body["total"] // 2)
    relevance = [await _titles(api, q="ursula", limit=1, page=p) for p in (1, 2, 3)]
    assert sorted(relevance) == [[], ["A Wizard of Earthsea"], ["The Left Hand of Darkness"]]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"page": 0},
        {"page": "x"},
        {"sort": "newest"},
        {"format": "docx"},
        {"q": "x" * 501},
    ],
)
async def test_bad_parameters_are_400(shelf: Runtime, api: httpx.AsyncClient, params: dict) -> None:
    response = await api.get("/api/library", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


async def test_facets_count_within_filters(shelf: Runtime, api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/library/facets")).json()
    assert body["authors"][0] == {"name": "Ursula K. Le Guin", "count": 2}
    assert {"name": "Science Fiction", "count": 2} in body["genres"]
    assert {"name": "Classics", "count": 2} in body["genres"]  # genre names are one case-insensitive value
    assert body["languages"] == [{"name": "en", "count": 4}, {"name": "de", "count": 1}]
    assert body["formats"] == [{"name": "epub", "count": 4}, {"name": "pdf", "count": 2}]
    assert body["totals"] == {"books": 5, "authors": 4, "genres": 4, "series": 2, "languages": 2, "formats": 2}
    assert "Pending Person" not in [a["name"] for a in body["authors"]]

    limited = (await api.get("/api/library/facets", params={"facetLimit": 1, "genre": "science fiction"})).json()
    assert limited["authors"] in ([{"name": "Aldous Huxley", "count": 1}], [{"name": "Ursula K. Le Guin", "count": 1}])
    assert limited["totals"]["authors"] == 2 and limited["totals"]["books"] == 2
    searched = (await api.get("/api/library/facets", params={"q": "earthsea"})).json()
    assert searched["series"] == [{"name": "Earthsea", "count": 1}]
    assert (await api.get("/api/library/facets", params={"facetLimit": 501})).status_code == 400


async def test_facets_follow_changes(shelf: Runtime, api: httpx.AsyncClient) -> None:
    before = (await api.get("/api/library/facets")).json()
    await add_book(shelf, "The Dispossessed", ["Ursula K. Le Guin"], formats=("mobi",))
    after = (await api.get("/api/library/facets")).json()
    assert after["authors"][0] == {"name": "Ursula K. Le Guin", "count": 3}
    assert after["totals"]["books"] == before["totals"]["books"] + 1
    assert {"name": "mobi", "count": 1} in after["formats"]


async def test_suggestions_are_kept_until_a_book_they_could_show_changes(
    shelf: Runtime, api: httpx.AsyncClient
) -> None:
    """Suggestions cover the inbox too, so an arrival there shows at once; repeated keystrokes are
    answered without a reader."""

    async def titles() -> list[str]:
        return [s["title"] for s in (await api.get("/api/search/suggest", params={"q": "wiz"})).json()["data"]]

    assert await titles() == ["A Wizard of Earthsea"]
    async with contextlib.AsyncExitStack() as busy:
        for _ in range(shelf.db.reader_count):
            await busy.enter_async_context(shelf.db.read())
        async with asyncio.timeout(10):
            assert await titles() == ["A Wizard of Earthsea"]
    await add_book(shelf, "Wizards at Work", ["Inbox Person"], status="review")
    assert sorted(await titles()) == ["A Wizard of Earthsea", "Wizards at Work"]


async def test_one_book(shelf: Runtime, api: httpx.AsyncClient) -> None:
    listed = (await api.get("/api/library", params={"q": "eyre"})).json()["data"][0]
    book = (await api.get(f"/api/library/{listed['id']}")).json()
    assert book["title"] == "Jane Eyre" and {f["format"] for f in book["files"]} == {"epub", "pdf"}
    assert (await api.get(f"/api/library/{UNKNOWN}")).status_code == 404
    assert (await api.get("/api/library/not-a-uuid")).status_code == 400
    inbox = await add_book(shelf, "Still In Review", ["X"], status="review")
    response = await api.get(f"/api/library/{inbox.id}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


async def test_cover_etag_cache_and_thumbnail(shelf: Runtime, api: httpx.AsyncClient) -> None:
    book = (await api.get("/api/library", params={"q": "darkness"})).json()["data"][0]
    assert book["hasCover"] and book["coverUrl"].startswith(f"/api/library/{book['id']}/cover?v=")
    full = await api.get(book["coverUrl"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.content[:2] == b"\xff\xd8" and "immutable" in full.headers["cache-control"]
    plain = await api.get(f"/api/library/{book['id']}/cover")
    assert "immutable" not in plain.headers["cache-control"] and plain.headers["etag"] == full.headers["etag"]
    again = await api.get(book["coverUrl"], headers={"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    thumb = await api.get(f"/api/library/{book['id']}/cover", params={"size": "thumb"})
    assert thumb.status_code == 200 and len(thumb.content) < len(full.content)
    assert thumb.headers["etag"] != full.headers["etag"]
    bare = (await api.get("/api/library", params={"q": "eyre"})).json()["data"][0]
    # A book without a cover is served a generated one, cached like a real cover.
    assert not bare["hasCover"] and bare["coverUrl"].startswith(f"/api/library/{bare['id']}/cover?v=g")
    drawn = await api.get(bare["coverUrl"])
    assert drawn.status_code == 200 and drawn.content[:2] == b"\xff\xd8"
    assert "immutable" in drawn.headers["cache-control"]
    assert (await api.get(bare["coverUrl"], headers={"If-None-Match": drawn.headers["etag"]})).status_code == 304
    assert (await api.get(f"/api/library/{book['id']}/cover", params={"size": "huge"})).status_code == 400


async def test_suggest(shelf: Runtime, api: httpx.AsyncClient) -> None:
    body = (await api.get("/api/search/suggest", params={"q": "ursu"})).json()
    assert sorted(s["title"] for s in body["data"]) == ["A Wizard of Earthsea", "The Left Hand of Darkness"]
    first = (await api.get("/api/search/suggest", params={"q": "left ha"})).json()["data"][0]
    assert set(first) == {"id", "title", "author", "status", "coverUrl", "kind"}
    assert first["kind"] == "library" and first["author"] == "Ursula K. Le Guin" and first["coverUrl"]
    review = (await api.get("/api/search/suggest", params={"q": "inbox dra"})).json()["data"]
    assert [(s["title"], s["kind"], s["status"]) for s in review] == [("Inbox Only Draft", "inbox", "review")]
    assert (await api.get("/api/search/suggest", params={"q": "moors"})).json()["data"] == []  # not in title/author
    for _ in range(12):
        await add_book(shelf, "Common Word", ["Many Authors"])
    assert len((await api.get("/api/search/suggest", params={"q": "comm"})).json()["data"]) == 8
    assert len((await api.get("/api/search/suggest", params={"q": "c"})).json()["data"]) == 8
    for bad in ({}, {"q": ""}, {"q": "x" * 501}):
        assert (await api.get("/api/search/suggest", params=bad)).status_code == 400


async def test_suggest_puts_titles_starting_with_the_typed_text_first(runtime: Runtime, api: httpx.AsyncClient) -> None:
    await add_book(runtime, "Kingdom of the Silver Moon", ["Some Writer"], age_days=1)
    await add_book(runtime, "Ashes", ["Silas the Elder"], age_days=2)
    await add_book(runtime, "The Silent River", ["Other Writer"], age_days=3)
    titles = [s["title"] for s in (await api.get("/api/search/suggest", params={"q": "The  sil"})).json()["data"]]
    assert titles[0] == "The Silent River"  # leading article and doubled space as in the title sort key
    assert set(titles) == {"The Silent River", "Kingdom of the Silver Moon", "Ashes"}
    titles = [s["title"] for s in (await api.get("/api/search/suggest", params={"q": "ash"})).json()["data"]]
    assert titles == ["Ashes"]


async def test_relevance_pages_skip_inbox_books(runtime: Runtime, api: httpx.AsyncClient) -> None:
    # Organized and review books interleaved, all matching: pages must hold organized ones only, none twice.
    for i in range(6):
        await add_book(runtime, f"Lantern {i}", ["Keeper"], status="organized" if i % 2 else "review")
        await add_book(runtime, f"Lantern Story {i}", ["Keeper"], status="review" if i % 2 else "organized")
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        body = (await api.get("/api/library", params={"q": "lantern", "limit": 2, "page": page})).json()
        assert body["total"] == 6
        assert all(b["status"] == "organized" for b in body["data"])
        seen += [b["id"] for b in body["data"]]
    assert len(seen) == len(set(seen)) == 6
    assert len(await runtime.search.match("lantern", ("review",))) == 6
    assert len(await runtime.search.match("lantern", ("organized", "review"), limit=5)) == 5
