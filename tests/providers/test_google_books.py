"""Google Books client against the fake: requests, normalisation, quotas and errors."""

from __future__ import annotations

from typing import Any

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import LookupQuery
from bookshelf.providers.google_books import GoogleBooks, clean_image_url
from tests.fakes.google_books import FakeGoogleBooks
from tests.providers.conftest import GOOGLE_URL

pytestmark = pytest.mark.anyio


@pytest.fixture
def fake(clock) -> FakeGoogleBooks:
    return FakeGoogleBooks(clock=clock)


@pytest.fixture
def make_google(fake, asgi_client, make_limiter, policy) -> Any:
    def make(key: str | None = "good-key", target: FakeGoogleBooks | None = None) -> GoogleBooks:
        return GoogleBooks(asgi_client((target or fake).app), GOOGLE_URL, key,
                           limiter=make_limiter(), policy=policy)

    return make


async def test_isbn_lookup_builds_the_documented_request(fake, make_google):
    [dune] = await make_google().lookup(LookupQuery(isbn="978-1-101-65805-5"))
    sent = fake.requests[-1]
    assert sent.path == "/books/v1/volumes"
    assert sent.param("q") == "isbn:9781101658055"
    assert sent.param("key") == "good-key"
    assert sent.param("printType") == "books"
    assert int(sent.param("maxResults")) <= 40
    assert (dune.source, dune.source_id, dune.isbn13, dune.isbn10) == (
        "google_books", "p1MULH7JsTQC", "9781101658055", "1101658053")
    assert (dune.published_year, dune.language, dune.page_count) == (2005, "en", 617)
    assert dune.cover_url == ("https://books.google.com/books/content?id=p1MULH7JsTQC"
                              "&printsec=frontcover&img=1&zoom=1&source=gbs_api")


async def test_title_author_search_uses_keyword_operators(fake, make_google):
    found = await make_google().lookup(LookupQuery(title="Dune: Deluxe Edition",
                                                   authors=["Frank Herbert"]), limit=5)
    assert fake.requests[-1].param("q") == 'intitle:Dune inauthor:"Frank Herbert"'
    assert [c.source_id for c in found] == ["p1MULH7JsTQC", "B7XnDwAAQBAJ"]
    assert found[1].subtitle == "Deluxe Edition" and found[1].published_year == 2019


async def test_isbn_miss_falls_back_to_title(fake, make_google):
    found = await make_google().lookup(LookupQuery(isbn="9780000000002", title="Dune"))
    assert [r.param("q") for r in fake.requests] == ["isbn:9780000000002", "intitle:Dune"]
    assert len(found) == 2


async def test_no_items_key_is_no_match(fake, make_google):
    assert await make_google().lookup(LookupQuery(title="zzqx")) == []


async def test_more_than_40_results_is_never_requested(fake, make_google):
    await make_google().search("intitle:dune", limit=100)
    assert fake.requests[-1].param("maxResults") == "40"


async def test_works_without_a_key_and_never_sends_an_empty_one(fake, make_google):
    assert len(await make_google(key=None).lookup(LookupQuery(title="Dune"))) == 2
    assert "key" not in fake.requests[-1].query


async def test_single_volume_strips_html_and_splits_categories(make_google):
    dune = await make_google().volume("p1MULH7JsTQC")
    assert dune.description.startswith("Set on the desert planet Arrakis, Dune is the story")
    assert "“spice”" in dune.description and "<" not in dune.description
    assert "\n\n" in dune.description  # paragraphs survive
    assert dune.genres == ["Fiction", "Science Fiction", "Space Opera", "Military", "Classics"]
    assert "zoom=6" in dune.cover_url and dune.cover_url.startswith("https://")


async def test_unknown_volume_is_none(make_google):
    assert await make_google().volume("nope") is None


async def test_bad_key_is_unauthorized_and_the_key_is_not_in_the_message(fake, make_google):
    with pytest.raises(UpstreamError) as caught:
        await make_google(key="leaked-secret").lookup(LookupQuery(title="Dune"))
    assert caught.value.reason == "unauthorized"
    assert "leaked-secret" not in str(caught.value)
    assert len(fake.requests) == 1


async def test_api_disabled_is_forbidden(fake, make_google):
    fake.fail_api_disabled()
    with pytest.raises(UpstreamError) as caught:
        await make_google().lookup(LookupQuery(title="Dune"))
    assert caught.value.reason == "forbidden"


@pytest.mark.parametrize("legacy", [False, True])
async def test_daily_quota_disables_the_provider_for_the_run(fake, make_google, legacy):
    fake.daily_limit, fake.legacy_daily = 1, legacy
    google = make_google()
    await google.lookup(LookupQuery(title="Dune"))
    for _ in range(2):
        with pytest.raises(UpstreamError) as caught:
            await google.lookup(LookupQuery(title="Dune"))
        assert caught.value.reason == "quota" and not caught.value.transient
    assert len(fake.requests) == 2  # the third lookup made no call


async def test_keyless_shared_pool_exhausted_is_quota(clock, make_google):
    fake = FakeGoogleBooks(key_mode="required", clock=clock)
    with pytest.raises(UpstreamError) as caught:
        await make_google(key=None, target=fake).lookup(LookupQuery(title="Dune"))
    assert caught.value.reason == "quota"
    assert "no API key" in caught.value.message


async def test_per_minute_quota_is_retried(fake, make_google, clock):
    fake.fail_quota(per="minute", times=2)
    found = await make_google().lookup(LookupQuery(title="Dune"))
    assert len(found) == 2 and len(fake.requests) == 3
    assert clock.sleeps == [2.0, 4.0]


async def test_per_minute_quota_that_persists_is_rate_limited(fake, make_google):
    fake.fail_quota(per="minute", retry_after=1, times=5)
    with pytest.raises(UpstreamError) as caught:
        await make_google().lookup(LookupQuery(title="Dune"))
    assert (caught.value.reason, caught.value.transient) == ("rate_limited", True)


async def test_503_is_retried_and_reported_as_server_error(fake, make_google):
    fake.fail_unavailable(times=3)
    with pytest.raises(UpstreamError) as caught:
        await make_google().lookup(LookupQuery(title="Dune"))
    assert caught.value.reason == "server_error" and len(fake.requests) == 3


async def test_missing_query_is_a_bad_request(fake, make_google):
    with pytest.raises(UpstreamError) as caught:
        await make_google().search("  ")
    assert caught.value.reason == "bad_request"


def test_image_urls_are_upgraded_and_uncurled():
    url = "http://books.google.com/books/content?id=x&zoom=1&edge=curl&source=gbs_api"
    assert clean_image_url(url) == "https://books.google.com/books/content?id=x&zoom=1&source=gbs_api"
    local = "http://127.0.0.1:8000/books/content?id=x"
    assert clean_image_url(local) == local  # a local fake keeps its scheme


async def test_from_books_catalogue(clock, make_google):
    fake = FakeGoogleBooks.from_books([
        {"id": "v1", "title": "The Left Hand of Darkness", "authors": ["Ursula K. Le Guin"],
         "isbn13": "9780441478125", "published": "1987", "language": "en"}], clock=clock)
    [found] = await make_google(target=fake).lookup(LookupQuery(isbn="9780441478125"))
    assert (found.title, found.published_year, found.cover_url, found.description) == (
        "The Left Hand of Darkness", 1987, None, None)


async def test_the_key_never_reaches_the_logs(fake, caplog):
    import logging

    import httpx

    from bookshelf.providers.transport import make_client

    client = make_client(transport=httpx.ASGITransport(app=fake.app))
    with caplog.at_level(logging.DEBUG):
        await GoogleBooks(client, GOOGLE_URL, "good-key").lookup(LookupQuery(title="Dune"))
        with pytest.raises(UpstreamError):
            await GoogleBooks(client, GOOGLE_URL, "sekrit-key").lookup(LookupQuery(title="x"))
    await client.aclose()
    assert any("key=***" in r.getMessage() for r in caplog.records)
    assert not any("good-key" in r.getMessage() or "sekrit-key" in r.getMessage()
                   for r in caplog.records)
