"""Fixtures for ingest: a runtime whose queue consumer (and optionally watcher) really runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from bookshelf.web.app import create_app
from tests.builders import make_epub, make_png
from tests.conftest import make_settings

T = TypeVar("T")


async def wait_for(check: Callable[[], Awaitable[T]], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value {value!r})")
        await asyncio.sleep(0.05)


async def book_status(rt: Runtime, book_id: str) -> str | None:
    row = await rt.db.fetchone("SELECT status FROM books WHERE id = ?", (book_id,))
    return row[0] if row else None


def write_epub(folder: Path, name: str, title: str, **kwargs: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return make_epub(folder / name, title=title, **kwargs)


def cover_png() -> bytes:
    return make_png(120, 180)


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, start_consumer=True)


@pytest.fixture
async def live(live_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await Runtime.open(live_settings)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def live_api(live_settings: Settings, live: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(live_settings, live)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/api/auth/setup", json={"label": "tests"})
        http.headers["Authorization"] = f"Bearer {response.json()['key']}"
        yield http
