"""Shared fixtures: settings on a temp folder, the real runtime and app, an authenticated client."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings, load
from bookshelf.web.app import create_app
from tests.ui_browser import launch_browser


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    # Every coroutine test runs on asyncio through anyio's plugin, without a marker on each.
    if collector.istestfunction(obj, name) and inspect.iscoroutinefunction(obj):
        marks = list(getattr(obj, "pytestmark", []))
        if not any(mark.name == "anyio" for mark in marks):
            obj.pytestmark = [*marks, pytest.mark.anyio]  # type: ignore[attr-defined]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test file (its tests each open their own context or page)."""
    yield from launch_browser()


def make_settings(root: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": str(root / "data"),
        "start_watcher": False,
        "start_consumer": False,
        # Nothing in tests may reach the internet: unreachable unless a test points these at a fake.
        "google_books_url": "http://127.0.0.1:9/books/v1",
        "hardcover_url": "http://127.0.0.1:9/v1/graphql",
        "openlibrary_url": "http://127.0.0.1:9",
        "openlibrary_covers_url": "http://127.0.0.1:9",
    }
    base.update(overrides)
    return load(environ={}, **base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(settings, background=False)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def api_key(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/auth/setup", json={"label": "tests"})
    assert response.status_code == 201, response.text
    return response.json()["key"]


@pytest.fixture
async def api(client: httpx.AsyncClient, api_key: str) -> httpx.AsyncClient:
    """The same client, authenticated with a fresh API key."""
    client.headers["Authorization"] = f"Bearer {api_key}"
    return client
