"""Slow providers over real loopback sockets: a timeout is an error, never an empty result."""

from __future__ import annotations

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.base import LookupQuery
from bookshelf.providers.google_books import GoogleBooks
from bookshelf.providers.hardcover import HardcoverClient
from bookshelf.providers.transport import make_client
from tests.fakes.google_books import FakeGoogleBooks
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover
from tests.fakes.server import serve_in_thread

pytestmark = pytest.mark.anyio


async def test_hardcover_search_has_its_own_short_timeout(monkeypatch):
    import bookshelf.providers.hardcover_client as module

    monkeypatch.setattr(module, "SEARCH_TIMEOUT", 0.2)
    fake = FakeHardcover()
    fake.search_delay = 0.6  # the server-side search budget is 2 s; we give up first
    with serve_in_thread(fake.app) as base:
        async with make_client(timeout=5) as client:
            api = HardcoverClient(client, f"{base}/v1/graphql", GOOD_TOKEN)
            assert (await api.me()).id == 48213  # other queries keep the long timeout
            with pytest.raises(UpstreamError) as caught:
                await api.search("Dune")
    assert (caught.value.reason, caught.value.transient) == ("timeout", True)


async def test_hardcover_slow_answer_is_a_timeout():
    fake = FakeHardcover()
    fake.fail_slow(0.6)
    with serve_in_thread(fake.app) as base:
        async with make_client(timeout=0.2) as client:
            with pytest.raises(UpstreamError) as caught:
                await HardcoverClient(client, f"{base}/v1/graphql", GOOD_TOKEN).me()
    assert caught.value.reason == "timeout"


async def test_google_slow_answer_is_a_timeout_and_connection_refused_is_unavailable():
    fake = FakeGoogleBooks()
    fake.fail_slow(0.6)
    with serve_in_thread(fake.app) as base:
        async with make_client(timeout=0.2) as client:
            google = GoogleBooks(client, f"{base}/books/v1", "good-key")
            with pytest.raises(UpstreamError) as caught:
                await google.lookup(LookupQuery(title="Dune"))
            assert caught.value.reason == "timeout"
            assert "good-key" not in str(caught.value)
    async with make_client(timeout=0.5) as client:
        with pytest.raises(UpstreamError) as caught:
            await GoogleBooks(client, f"{base}/books/v1", "good-key").search("dune")
    assert caught.value.reason == "unavailable"
