"""Fixtures for imports: a runtime whose queue really runs, allowed to read from tmp/imports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from bookshelf.web.app import create_app
from tests.conftest import make_settings


@pytest.fixture
def import_root(tmp_path: Path) -> Path:
    root = tmp_path / "imports"
    root.mkdir()
    return root


@pytest.fixture
async def inline_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime whose jobs wait for ``jobs.drain()`` and run on the test's loop."""
    rt = await Runtime.open(settings, background=False, inline_jobs=True)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
def live_settings(tmp_path: Path, import_root: Path) -> Settings:
    return make_settings(tmp_path, start_consumer=True, import_roots=str(import_root))


@pytest.fixture
async def live_api(live_settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    rt = await Runtime.open(live_settings)
    try:
        transport = httpx.ASGITransport(app=create_app(live_settings, rt), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/api/auth/setup", json={"label": "tests"})
            http.headers["Authorization"] = f"Bearer {response.json()['key']}"
            yield rt, http
    finally:
        await rt.close()
