"""Remote fetches go only to providers' hosts over HTTPS: a provider URL redirecting inward is refused
before any request is made to the inner address (the internet is faked by an httpx transport)."""

from __future__ import annotations

import httpx
import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.covers import allowed_cover_hosts, fetch_cover
from bookshelf.settings import Settings
from tests.fakes.openlibrary import tiny_jpeg

INWARD = ["http://127.0.0.1:8080/admin", "https://127.0.0.1/x.jpg", "http://localhost/x.jpg", "https://[::1]/x.jpg",
          "http://169.254.169.254/latest/meta-data/", "https://192.168.1.1/x.jpg", "file:///etc/passwd",
          "http://covers.openlibrary.org/b/id/1-L.jpg"]  # fmt: skip


@pytest.mark.parametrize("target", INWARD)
async def test_a_provider_redirect_inward_is_refused_unfetched(target: str) -> None:
    asked: list[str] = []

    def internet(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.host == "covers.openlibrary.org" and request.url.scheme == "https":
            return httpx.Response(302, headers={"location": target})
        return httpx.Response(200, content=tiny_jpeg(), headers={"content-type": "image/jpeg"})

    allowed = allowed_cover_hosts(Settings())  # production: provider hosts, HTTPS only
    async with httpx.AsyncClient(transport=httpx.MockTransport(internet)) as client:
        with pytest.raises(UpstreamError) as caught:
            await fetch_cover(client, "https://covers.openlibrary.org/b/id/1-L.jpg", allowed)
    assert caught.value.reason == "forbidden_host"
    assert asked == ["https://covers.openlibrary.org/b/id/1-L.jpg"]


@pytest.mark.parametrize("url", INWARD)
async def test_inner_addresses_are_never_fetched_directly(url: str) -> None:
    asked: list[str] = []

    def internet(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, content=tiny_jpeg(), headers={"content-type": "image/jpeg"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(internet)) as client:
        with pytest.raises(UpstreamError):
            await fetch_cover(client, url, allowed_cover_hosts(Settings()))
    assert asked == []


async def test_the_real_provider_host_still_works() -> None:
    def internet(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=tiny_jpeg(), headers={"content-type": "image/jpeg"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(internet)) as client:
        _, media_type = await fetch_cover(client, "https://covers.openlibrary.org/b/id/1-L.jpg",
                                          allowed_cover_hosts(Settings()))  # fmt: skip
    assert media_type == "image/jpeg"
