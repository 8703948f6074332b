"""The token bucket on an injected clock: bursts, steady rate, Retry-After and the wait bound."""

from __future__ import annotations

import pytest

from bookshelf.errors import UpstreamError
from bookshelf.providers.hardcover import default_limiter
from tests.fakes.hardcover import FakeHardcover

pytestmark = pytest.mark.anyio


async def test_burst_then_one_per_second(make_limiter, clock):
    limiter = make_limiter(per_minute=60, burst=10)
    start = clock()
    for _ in range(10):
        await limiter.acquire()
    assert clock() == start  # the burst is free
    for _ in range(5):
        await limiter.acquire()
    assert clock() - start == pytest.approx(5.0)


async def test_a_wait_beyond_the_bound_raises_rate_limited(make_limiter, clock):
    limiter = make_limiter(per_minute=60, burst=1, max_wait=3)
    await limiter.acquire()
    limiter.defer(10)
    with pytest.raises(UpstreamError) as caught:
        await limiter.acquire()
    assert caught.value.reason == "rate_limited" and caught.value.transient
    assert caught.value.retry_after == pytest.approx(10)
    assert clock.sleeps == []


async def test_retry_after_blocks_and_empties_the_bucket(make_limiter, clock):
    limiter = make_limiter(per_minute=60, burst=10)
    limiter.defer(5)
    start = clock()
    await limiter.acquire()
    assert clock() - start == pytest.approx(5.0)
    for _ in range(4):  # only what refilled during the 5 s wait, not the full burst of 10
        await limiter.acquire()
    assert clock() - start == pytest.approx(5.0)
    await limiter.acquire()
    assert clock() - start == pytest.approx(6.0)


def test_legacy_tokens_get_half_the_burst():
    assert default_limiter("hc_pat_x").burst == 10
    assert default_limiter("Bearer eyJhbGciOi.x.y").burst == 5


async def test_a_library_resync_stays_inside_hardcovers_limit(clock, asgi_client, make_limiter):
    """130 calls against a fake that enforces 60/min with burst 10 on the same clock: no 429."""
    from bookshelf.providers.hardcover import HardcoverClient
    from tests.fakes.hardcover import GOOD_TOKEN
    from tests.providers.conftest import HARDCOVER_URL

    fake = FakeHardcover(clock=clock, burst=10, per_minute=60)
    api = HardcoverClient(asgi_client(fake.app), HARDCOVER_URL, GOOD_TOKEN,
                          limiter=make_limiter(per_minute=60, burst=10))
    start = clock()
    for _ in range(130):
        await api.book_details(312460)
    assert len(fake.requests) == 130  # nothing was refused and retried
    assert fake.requests_within(60) <= 60 + 10  # refill plus the initial burst
    later = [r for r in fake.requests if r.at >= start + 60]
    assert sum(1 for r in later if r.at < start + 120) <= 60
    assert clock() - start == pytest.approx(120.0)


async def test_the_fake_refuses_a_client_that_ignores_the_limit(clock, asgi_client,
                                                               make_limiter):
    from bookshelf.providers.hardcover import HardcoverClient
    from bookshelf.providers.transport import RetryPolicy
    from tests.fakes.hardcover import GOOD_TOKEN
    from tests.providers.conftest import HARDCOVER_URL

    fake = FakeHardcover(clock=clock, burst=3, per_minute=60)
    greedy = HardcoverClient(asgi_client(fake.app), HARDCOVER_URL, GOOD_TOKEN,
                             limiter=make_limiter(per_minute=6000, burst=100),
                             policy=RetryPolicy(attempts=1))
    for _ in range(3):
        await greedy.me()
    with pytest.raises(UpstreamError) as caught:
        await greedy.me()
    assert caught.value.reason == "rate_limited" and caught.value.retry_after == 1
