"""Fixtures for the provider tests: the anyio backend, a fake clock, and clients wired to fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bookshelf.providers.ratelimit import RateLimiter
from bookshelf.providers.transport import RetryPolicy
from tests.fakes.common import FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_limiter(clock: FakeClock) -> Any:
    """Limiters on the fake clock, so waits advance time instead of sleeping."""

    def make(per_minute: float = 60, burst: int = 10, max_wait: float = 30.0) -> RateLimiter:
        return RateLimiter(per_minute, burst, max_wait=max_wait, clock=clock, sleep=clock.sleep)

    return make


@pytest.fixture
def policy() -> RetryPolicy:
    return RetryPolicy(attempts=3, backoff=2.0)


@pytest.fixture
async def asgi_client() -> AsyncIterator[Any]:
    """``asgi_client(app)``: an httpx client that talks to an ASGI app in-process."""
    clients: list[httpx.AsyncClient] = []

    def make(app: Any, timeout: float = 5.0) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=timeout,
                                   follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


HARDCOVER_URL = "http://hardcover.test/v1/graphql"
GOOGLE_URL = "http://google.test/books/v1"
OPENLIBRARY_URL = "http://openlibrary.test"
COVERS_URL = "http://openlibrary.test"  # the fake serves /b/... on the same app


@pytest.fixture
def fake_hardcover(clock: FakeClock) -> Any:
    from tests.fakes.hardcover import FakeHardcover

    return FakeHardcover(clock=clock)


@pytest.fixture
def hardcover_api(fake_hardcover: Any, asgi_client: Any, make_limiter: Any,
                  policy: RetryPolicy) -> Any:
    from bookshelf.providers.hardcover import HardcoverClient
    from tests.fakes.hardcover import GOOD_TOKEN

    return HardcoverClient(asgi_client(fake_hardcover.app), HARDCOVER_URL, GOOD_TOKEN,
                           limiter=make_limiter(), policy=policy)
