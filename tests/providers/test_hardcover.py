"""Hardcover client against the fake: token check, search, ISBN, details, and every error path."""

from __future__ import annotations

from typing import Any

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import LookupQuery
from bookshelf.providers.hardcover import Hardcover, HardcoverClient, clean_token
from tests.fakes.common import Fault, example
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover, Token
from tests.providers.conftest import HARDCOVER_URL

pytestmark = pytest.mark.anyio


def client_for(fake: FakeHardcover, asgi_client: Any, make_limiter: Any, token: str | None,
               **kwargs: Any) -> HardcoverClient:
    return HardcoverClient(asgi_client(fake.app), HARDCOVER_URL, token, limiter=make_limiter(),
                           **kwargs)


# ---- 1. token check -------------------------------------------------------------------------
async def test_token_check_returns_the_user_and_sends_one_bearer(fake_hardcover, hardcover_api):
    user = await hardcover_api.me()
    assert (user.id, user.username, user.privacy_setting_id) == (48213, "bookshelf_tester", 1)
    sent = fake_hardcover.requests[-1]
    assert sent.headers["authorization"] == f"Bearer {GOOD_TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json["operationName"] == "WhoAmI"


@pytest.mark.parametrize("pasted", [f"Bearer {GOOD_TOKEN}", f"  bearer {GOOD_TOKEN}\n",
                                    f"BEARER {GOOD_TOKEN}"])
async def test_a_pasted_bearer_prefix_is_stripped(fake_hardcover, asgi_client, make_limiter,
                                                  pasted):
    api = client_for(fake_hardcover, asgi_client, make_limiter, pasted)
    assert (await api.me()).username == "bookshelf_tester"
    assert fake_hardcover.requests[-1].headers["authorization"] == f"Bearer {GOOD_TOKEN}"


def test_clean_token():
    assert clean_token("Bearer Bearer x") == "Bearer x"  # only one prefix goes
    assert clean_token("   ") is None
    assert clean_token(None) is None


@pytest.mark.parametrize("legacy", [False, True])
async def test_invalid_token_is_unauthorized_in_both_body_shapes(asgi_client, make_limiter,
                                                                 clock, legacy):
    fake = FakeHardcover(clock=clock, legacy_401=legacy)
    api = client_for(fake, asgi_client, make_limiter, "hc_pat_wrong_secret")
    with pytest.raises(UpstreamError) as caught:
        await api.me()
    assert caught.value.reason == "unauthorized"
    assert not caught.value.transient
    assert "hc_pat_wrong_secret" not in str(caught.value)
    assert len(fake.requests) == 1  # a 401 is never retried


async def test_expired_legacy_jwt_in_band_is_unauthorized(fake_hardcover, asgi_client,
                                                          make_limiter):
    api = client_for(fake_hardcover, asgi_client, make_limiter, "eyJhbGciOi.expired.sig")
    with pytest.raises(UpstreamError) as caught:
        await api.me()
    assert caught.value.reason == "unauthorized"
    assert "eyJ" not in str(caught.value)


@pytest.mark.parametrize("mode", ["403", "graphql", "empty_me"])
async def test_token_without_read_me_is_missing_scope_not_invalid(asgi_client, make_limiter,
                                                                  clock, mode):
    fake = FakeHardcover(clock=clock, scope_error=mode,
                         tokens={"hc_pat_catalog": Token(48213, {"read:catalog"})})
    api = client_for(fake, asgi_client, make_limiter, "hc_pat_catalog")
    with pytest.raises(UpstreamError) as caught:
        await api.me()
    assert caught.value.reason == "missing_scope"
    # The same token still searches: a parent scope covers its children.
    assert (await api.search("Dune")).found == 2


async def test_missing_write_scope_names_the_scope(asgi_client, make_limiter, clock):
    fake = FakeHardcover(clock=clock, tokens={"hc_pat_ro": Token(48213, {"read:me",
                                                                         "read:library"})})
    api = client_for(fake, asgi_client, make_limiter, "hc_pat_ro")
    with pytest.raises(UpstreamError) as caught:
        await api.insert_user_book(312460, status_id=1)
    assert caught.value.reason == "missing_scope"
    assert "write:library" in caught.value.message


async def test_no_token_is_not_configured_and_sends_nothing(fake_hardcover, asgi_client,
                                                           make_limiter):
    api = client_for(fake_hardcover, asgi_client, make_limiter, "  ")
    with pytest.raises(UpstreamError) as caught:
        await api.me()
    assert caught.value.reason == "not_configured"
    provider = Hardcover(asgi_client(fake_hardcover.app), HARDCOVER_URL, None)
    with pytest.raises(UpstreamError) as caught:
        await provider.lookup(LookupQuery(title="Dune"))
    assert caught.value.reason == "not_configured"
    assert fake_hardcover.requests == []


# ---- HTTP and in-band errors -> distinct reasons ----------------------------------------------
@pytest.mark.parametrize(("name", "status", "reason", "transient"), [
    ("hardcover_error_400_malformed.json", 400, "bad_request", False),
    ("hardcover_error_400_invalid_query.json", 400, "bad_request", False),
    ("hardcover_error_403_top_level_limit.json", 403, "query_limit", False),
    ("hardcover_error_403_disabled_operator.json", 403, "forbidden", False),
    ("hardcover_error_408_timeout.json", 408, "timeout", True),
    ("hardcover_error_500.json", 500, "server_error", False),
    ("hardcover_error_graphql_validation.json", 200, "graphql_error", False),
    ("hardcover_error_graphql_bad_variable.json", 200, "graphql_error", False),
    ("hardcover_me_scope_missing.json", 200, "missing_scope", False),
])
async def test_error_bodies_map_to_reasons(fake_hardcover, hardcover_api, name, status, reason,
                                           transient):
    fake_hardcover.fail_next(Fault(status, example(name)), times=5)
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.search("Dune")
    assert (caught.value.reason, caught.value.transient) == (reason, transient)
    assert caught.value.message
    expected_calls = 3 if transient else 1  # only transient failures are retried
    assert len(fake_hardcover.requests) == expected_calls


async def test_quota_403_is_quota(fake_hardcover, hardcover_api):
    fake_hardcover.fail_next(Fault(403, {"error": "Your quota has been reached for this query."}))
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.me()
    assert caught.value.reason == "quota"


async def test_503_is_retried_then_succeeds(fake_hardcover, hardcover_api, clock):
    fake_hardcover.fail_with("hardcover_error_503.json", 503, times=2)
    assert (await hardcover_api.me()).id == 48213
    assert len(fake_hardcover.requests) == 3
    assert clock.sleeps == [2.0, 4.0]  # exponential back-off on the injected clock


async def test_503_every_time_is_a_transient_server_error(fake_hardcover, hardcover_api):
    fake_hardcover.fail_with("hardcover_error_503.json", 503, times=3)
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.me()
    assert (caught.value.reason, caught.value.transient) == ("server_error", True)


async def test_429_retry_after_is_honoured_then_succeeds(fake_hardcover, hardcover_api, clock):
    fake_hardcover.fail_rate_limited(retry_after=6)
    assert (await hardcover_api.me()).id == 48213
    assert clock.sleeps == [6.0]
    assert len(fake_hardcover.requests) == 2


async def test_429_with_a_long_retry_after_is_raised_not_slept(fake_hardcover, hardcover_api,
                                                               clock):
    fake_hardcover.fail_rate_limited(retry_after=120)
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.me()
    assert caught.value.reason == "rate_limited"
    assert caught.value.transient and caught.value.retry_after == 120
    assert clock.sleeps == []


async def test_429_retries_are_bounded(fake_hardcover, hardcover_api, clock):
    fake_hardcover.legacy_429 = True  # {"error":"Throttled"}
    fake_hardcover.fail_rate_limited(retry_after=1, times=10)
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.me()
    assert caught.value.reason == "rate_limited"
    assert len(fake_hardcover.requests) == 3


async def test_a_search_error_string_is_not_an_empty_result(fake_hardcover, hardcover_api):
    body = example("hardcover_search_empty.json")
    body["data"]["search"]["error"] = "Search backend unavailable"
    fake_hardcover.fail_next(Fault(200, body))
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.search("Dune")
    assert caught.value.reason == "graphql_error"


# ---- 2. search ------------------------------------------------------------------------------
async def test_search_parses_string_ids_empty_image_and_missing_subtitle(fake_hardcover,
                                                                        hardcover_api):
    fake_hardcover.fail_next(Fault(200, example("hardcover_search.json")))  # the captured shape
    page = await hardcover_api.search("Dune", "Frank Herbert", per_page=2)
    assert page.ids == [312460, 312462]
    assert page.found == 187
    dune, messiah = page.hits
    assert (dune.book_id, dune.title, dune.subtitle) == (312460, "Dune", None)
    assert dune.cover_url and dune.cover_url.startswith("https://assets.hardcover.app/")
    assert (dune.series, dune.series_position) == ("Dune", 1.0)
    assert messiah.cover_url is None  # image: {}
    assert "9780593098233" in messiah.isbns
    sent = fake_hardcover.requests[-1].json
    assert sent["variables"] == {"q": "Dune Frank Herbert", "perPage": 2, "page": 1}


async def test_search_empty_and_paging(fake_hardcover, hardcover_api):
    assert (await hardcover_api.search("zzqx nonexistent title")).hits == []
    first = await hardcover_api.search("Dune", per_page=1, page=1)
    second = await hardcover_api.search("Dune", per_page=1, page=2)
    assert first.found == second.found == 2
    assert [h.book_id for h in first.hits + second.hits] == [312460, 312462]


async def test_search_travels_alone(fake_hardcover, hardcover_api):
    await hardcover_api.search("Dune")
    assert fake_hardcover.requests[-1].json["query"].count("search(") == 1


# ---- 3. ISBN lookup and 4. details ------------------------------------------------------------
async def test_isbn_lookup_hit_miss_and_hyphens(fake_hardcover, hardcover_api):
    editions = await hardcover_api.editions_by_isbn(["978-0-441-17271-9"])
    assert [(e.id, e.book_id, e.isbn13, e.publisher, e.language) for e in editions] == [
        (30405276, 312460, "9780441172719", "Ace Books", "en")]
    sent = fake_hardcover.requests[-1].json["variables"]["isbns"]
    assert "9780441172719" in sent and "0441172717" in sent  # both forms, digits only
    assert await hardcover_api.editions_by_isbn(["9780000000002"]) == []


async def test_book_details_and_unknown_book(hardcover_api):
    book = await hardcover_api.book_details(312460)
    assert book is not None
    assert (book.title, book.authors, book.series, book.series_position) == (
        "Dune", ["Frank Herbert"], "Dune", 1.0)
    assert book.genres == ["Science fiction", "Fiction", "Classics"]  # the Genre tags only
    assert [e.pages for e in book.editions] == [537, 617, None]
    assert await hardcover_api.book_details(1) is None


async def test_book_without_cover_series_pages_or_genre(fake_hardcover, asgi_client,
                                                        make_limiter, clock):
    fake = FakeHardcover.from_books([{"id": 7, "title": "Bare", "authors": ["A. Writer"]}],
                                    clock=clock)
    api = client_for(fake, asgi_client, make_limiter, GOOD_TOKEN)
    book = await api.book_details(7)
    assert book is not None
    assert (book.cover_url, book.series, book.pages, book.genres) == (None, None, None, [])


async def test_translators_are_not_authors(fake_hardcover, hardcover_api):
    book = fake_hardcover.store.books[312460]
    book["contributions"].append({"contribution": "Translator",
                                  "author": {"id": 9, "name": "T. Ranslator", "slug": "t"}})
    assert (await hardcover_api.book_details(312460)).authors == ["Frank Herbert"]


# ---- the provider -----------------------------------------------------------------------------
async def test_provider_prefers_isbn_then_falls_back_to_search(fake_hardcover, asgi_client,
                                                               make_limiter):
    provider = Hardcover(asgi_client(fake_hardcover.app), HARDCOVER_URL, GOOD_TOKEN,
                         limiter=make_limiter())
    [dune] = await provider.lookup(LookupQuery(isbn="0-441-17271-7", title="ignored"))
    assert (dune.source, dune.source_id, dune.isbn13, dune.page_count) == (
        "hardcover", "312460", "9780441172719", 537)
    assert dune.language == "en" and dune.publisher == "Ace Books"
    assert fake_hardcover.operations() == ["EditionsByIsbn", "BookDetails"]

    found = await provider.lookup(LookupQuery(isbn="9780000000002", title="Dune Messiah (Dune 2)",
                                              authors=["Frank Herbert"]))
    assert [c.title for c in found] == ["Dune Messiah"]
    assert fake_hardcover.requests[-1].json["variables"]["q"] == "Dune Messiah Frank Herbert"


async def test_a_token_that_worked_can_fail_later(fake_hardcover, hardcover_api):
    assert (await hardcover_api.me()).id == 48213
    fake_hardcover.fail_unauthorized()
    with pytest.raises(UpstreamError) as caught:
        await hardcover_api.user_book(312460)
    assert caught.value.reason == "unauthorized"
    fake_hardcover.fail_missing_scope("read:library")
    with pytest.raises(UpstreamError, match="read:library") as caught:
        await hardcover_api.user_book(312460)
    assert caught.value.reason == "missing_scope"
