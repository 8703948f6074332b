"""Organize tests run their jobs inline on the test's loop."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The real runtime with its jobs run inline: ``await rt.jobs.drain()`` runs what was queued,
    through the same task functions the queue consumer calls."""
    rt = await Runtime.open(settings, background=False, inline_jobs=True)
    try:
        yield rt
    finally:
        await rt.close()
