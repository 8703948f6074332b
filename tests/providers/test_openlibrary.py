"""Open Library client against the fake: the /isbn redirect, search fields, HTML 404s, slowness."""

from __future__ import annotations

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import LookupQuery
from bookshelf.providers.openlibrary import SEARCH_FIELDS, OpenLibrary
from tests.fakes.openlibrary import FakeOpenLibrary
from tests.providers.conftest import COVERS_URL, OPENLIBRARY_URL

pytestmark = pytest.mark.anyio


@pytest.fixture
def fake(clock) -> FakeOpenLibrary:
    return FakeOpenLibrary.with_examples(clock=clock)


@pytest.fixture
def ol(fake, asgi_client, make_limiter, policy) -> OpenLibrary:
    return OpenLibrary(asgi_client(fake.app), OPENLIBRARY_URL, COVERS_URL,
                       limiter=make_limiter(), policy=policy)


async def test_isbn_follows_the_redirect_and_resolves_author_and_work(fake, ol):
    [dune] = await ol.lookup(LookupQuery(isbn="0-441-17271-7"))
    assert [r.path for r in fake.requests] == [
        "/isbn/0441172717.json", "/books/OL26242482M.json", "/authors/OL79034A.json",
        "/works/OL893415W.json"]
    assert (dune.source, dune.source_id, dune.title, dune.authors) == (
        "openlibrary", "OL26242482M", "Dune", ["Frank Herbert"])
    assert (dune.isbn10, dune.isbn13, dune.publisher, dune.published_year) == (
        "0441172717", "9780441172719", "Ace Books", 1990)
    assert (dune.language, dune.page_count) == ("en", 537)
    assert dune.description.startswith("Set on the desert planet")  # {"type","value"} form
    assert "Science fiction" in dune.genres
    assert dune.cover_url == f"{COVERS_URL}/b/id/11481354-L.jpg?default=false"


async def test_every_request_identifies_bookshelf(fake, make_limiter):
    import httpx

    from bookshelf.providers.transport import USER_AGENT, make_client

    client = make_client(transport=httpx.ASGITransport(app=fake.app))
    ol = OpenLibrary(client, OPENLIBRARY_URL, COVERS_URL, limiter=make_limiter())
    await ol.lookup(LookupQuery(title="Dune"))
    await client.aclose()
    assert fake.requests[-1].headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("bookshelf/")


async def test_unknown_isbn_html_404_falls_back_to_search_with_fields(fake, ol):
    found = await ol.lookup(LookupQuery(isbn="9780000000002", title="Dune (Dune #1)",
                                        authors=["Frank Herbert"]), limit=2)
    search = fake.requests[-1]
    assert search.path == "/search.json"
    assert (search.param("title"), search.param("author")) == ("Dune", "Frank Herbert")
    assert search.param("fields") == SEARCH_FIELDS and search.param("limit") == "2"
    assert [c.source_id for c in found] == ["OL893415W", "OL893527W"]
    assert found[0].isbn13 is None  # the work's isbn list spans editions
    assert found[1].cover_url == f"{COVERS_URL}/b/id/10463289-L.jpg?default=false"
    assert found[0].page_count == 541 and found[0].language == "en"


async def test_search_docs_with_missing_keys(clock, asgi_client, make_limiter):
    fake = FakeOpenLibrary.from_books([{"title": "Untitled Notes", "authors": []}], clock=clock)
    ol = OpenLibrary(asgi_client(fake.app), OPENLIBRARY_URL, COVERS_URL, limiter=make_limiter())
    [found] = await ol.lookup(LookupQuery(title="Untitled Notes"))
    assert (found.authors, found.cover_url, found.published_year, found.page_count) == (
        [], None, None, None)


async def test_empty_search_is_no_match(ol):
    assert await ol.lookup(LookupQuery(title="zzqx nothing")) == []


async def test_html_503_is_a_transient_server_error(fake, ol):
    fake.fail_unavailable(times=3)
    with pytest.raises(UpstreamError) as caught:
        await ol.lookup(LookupQuery(title="Dune"))
    assert (caught.value.reason, caught.value.transient) == ("server_error", True)


async def test_html_with_a_json_content_type_is_a_bad_response(fake, ol):
    fake.fail_html_as_json()
    with pytest.raises(UpstreamError) as caught:
        await ol.search("Dune")
    assert caught.value.reason == "bad_response"


async def test_throttling_honours_retry_after(fake, ol, clock):
    fake.fail_throttled(retry_after=3)
    assert len(await ol.search("Dune")) == 2
    assert clock.sleeps == [3.0]


async def test_redirect_to_another_host_is_refused(fake, ol):
    from tests.fakes.common import Fault

    fake.fail_next(Fault(302, None, {"Location": "https://evil.example/books/x.json"}))
    with pytest.raises(UpstreamError) as caught:
        await ol.by_isbn("9780441172719")
    assert caught.value.reason == "bad_response"


async def test_isbn_only_without_edition_uses_search_by_isbn(fake, ol):
    fake.editions.clear()
    found = await ol.lookup(LookupQuery(isbn="9780441172719"))
    assert found == []  # no title to fall back on
    assert [c.isbn13 for c in await ol.search(None, None, isbn="9780441172719")] == [
        "9780441172719"]
    assert fake.requests[-1].param("q") == "isbn:9780441172719"


async def test_fake_covers_404_only_with_default_false(fake, asgi_client):
    client = asgi_client(fake.app)
    assert (await client.get(f"{COVERS_URL}/b/id/1-L.jpg?default=false")).status_code == 404
    placeholder = await client.get(f"{COVERS_URL}/b/id/1-L.jpg")
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"] == "image/jpeg"
    cover = await client.get(f"{COVERS_URL}/b/id/11481354-L.jpg")
    assert cover.content.startswith(b"\xff\xd8\xff")


async def test_slow_responses_past_the_timeout_are_timeouts():
    from bookshelf.providers.transport import make_client
    from tests.fakes.server import serve_in_thread

    fake = FakeOpenLibrary.with_examples()
    fake.slow_new_isbns["9780441172719"] = 1.0  # an import from partner sources on first sight
    with serve_in_thread(fake.app) as base:
        async with make_client(timeout=0.2) as client:
            ol = OpenLibrary(client, base, base)
            with pytest.raises(UpstreamError) as caught:
                await ol.lookup(LookupQuery(isbn="9780441172719"))
            assert (caught.value.reason, caught.value.transient) == ("timeout", True)
            [dune] = await ol.lookup(LookupQuery(isbn="9780441172719"))  # later it works
            assert dune.title == "Dune"
