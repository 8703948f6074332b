"""A server that starts counts the OPDS root's authors, genres and series before anyone asks."""

from __future__ import annotations

import asyncio

from bookshelf.db import catalog as catalog_rows
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.opds.helpers import add_book


async def test_the_root_counts_are_ready_after_start(settings: Settings) -> None:
    rt = await Runtime.open(settings, background=False)
    try:
        for n in range(3):
            await add_book(rt, f"Warm Book {n}", genres=["Fiction"], series=f"Saga {n}")
    finally:
        await rt.close()
    rt = await Runtime.open(settings)
    try:
        # Nothing has asked for the root yet; the start-up warm-up counts for this catalog generation.
        for _ in range(100):
            if rt.catalog._totals:
                break
            await asyncio.sleep(0.05)
        assert rt.catalog._totals
        totals = await rt.catalog.totals()
        assert totals == {"books": 3, "authors": 1, "genres": 1, "series": 3}
        # The counts are what the navigation lists show.
        for table in catalog_rows.NAV_TABLES:
            assert totals[table] == (await rt.catalog.nav(table, 1)).total
    finally:
        await rt.close()
