"""build_providers wires settings, credentials and limiters into the three providers."""

from __future__ import annotations

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers import LookupQuery, Provider, build_providers, make_client
from bookshelf.settings import Settings
from tests.fakes.google_books import FakeGoogleBooks
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover
from tests.fakes.openlibrary import FakeOpenLibrary
from tests.fakes.server import serve_in_thread

pytestmark = pytest.mark.anyio


async def test_providers_are_keyed_and_satisfy_the_protocol():
    async with make_client(timeout=5) as client:
        providers = build_providers(Settings(), client)
    assert list(providers) == ["hardcover", "google_books", "openlibrary"]
    for name, provider in providers.items():
        assert isinstance(provider, Provider) and provider.name == name


async def test_all_three_against_fakes_on_real_sockets():
    hardcover, google = FakeHardcover(), FakeGoogleBooks()
    openlibrary = FakeOpenLibrary.with_examples()
    with (serve_in_thread(hardcover.app) as hc, serve_in_thread(google.app) as gb,
          serve_in_thread(openlibrary.app) as ol):
        settings = Settings(hardcover_url=f"{hc}/v1/graphql", google_books_url=f"{gb}/books/v1",
                            openlibrary_url=ol, openlibrary_covers_url=ol)
        async with make_client(timeout=5) as client:
            providers = build_providers(settings, client, hardcover_token=GOOD_TOKEN,
                                        google_books_api_key="good-key")
            query = LookupQuery(isbn="9780441172719", title="Dune", authors=["Frank Herbert"])
            found = {name: await p.lookup(query) for name, p in providers.items()}
            unconfigured = build_providers(settings, client)["hardcover"]
            with pytest.raises(UpstreamError) as caught:
                await unconfigured.lookup(query)
    assert caught.value.reason == "not_configured"
    assert {name: [c.title for c in cands] for name, cands in found.items()} == {
        "hardcover": ["Dune"], "google_books": ["Dune", "Dune"], "openlibrary": ["Dune"]}
    assert all("key=" not in r.raw_query for r in hardcover.requests)
    assert google.requests[0].param("key") == "good-key"
