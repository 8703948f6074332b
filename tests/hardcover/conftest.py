"""The fake Hardcover served on a loopback port, settings pointed at it, a limiter on a fake clock."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookshelf.runtime import Runtime
from bookshelf.services.hardcover.sync import HardcoverSyncService, sync_limiter
from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.fakes.common import FakeClock
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover
from tests.fakes.server import serve_in_thread
from tests.hardcover.helpers import catalogue, invalid_requests

CATALOGUE_SIZE = 60


@pytest.fixture
def hc_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(hc_clock: FakeClock) -> FakeHardcover:
    # The fake's token bucket runs on the same clock as our limiter, so waits cost no real time.
    fake = FakeHardcover.from_books(catalogue(CATALOGUE_SIZE), clock=hc_clock)
    fake.store.duplicate_insert = "error"  # the stricter reading: a second insert is refused, not merged
    return fake


@pytest.fixture
def fake_url(fake: FakeHardcover) -> Iterator[str]:
    with serve_in_thread(fake.app) as base:
        yield base + "/v1/graphql"


@pytest.fixture
def settings(tmp_path: Path, fake_url: str) -> Settings:
    return make_settings(tmp_path, hardcover_url=fake_url)


@pytest.fixture
async def hc(runtime: Runtime, hc_clock: FakeClock, admin: str) -> HardcoverSyncService:
    """The runtime's sync service with a token and a rate limiter on the fake clock."""
    service = runtime.hardcover

    service.make_limiter = functools.partial(sync_limiter, clock=hc_clock, sleep=hc_clock.sleep)
    await runtime.credentials.set(admin, "hardcover", {"token": GOOD_TOKEN})
    return service


@pytest.fixture
async def admin(runtime: Runtime) -> str:
    """The first admin's id: the single reader of an install without other accounts."""
    return await runtime.accounts.first_admin_id()


@pytest.fixture(autouse=True)
def _every_request_is_valid_graphql(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever a test does, nothing we sent may be a request the real schema rejects."""
    fake = request.getfixturevalue("fake") if "fake" in request.fixturenames else None
    yield
    if fake is not None:
        assert invalid_requests(fake) == []
