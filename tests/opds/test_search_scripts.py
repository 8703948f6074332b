"""/opds/search folds queries and index alike in every script (Greek and Arabic were never found)."""

from __future__ import annotations

import httpx

from tests.library_books import add_book
from tests.opds.helpers import NS, assert_feed

REPORTED = ["Οδύσσεια", "Ὀδύσσεια", "Ὅμηρος", "οδυσσεια"]


async def test_greek_and_arabic_books_are_found(opds: httpx.AsyncClient, runtime) -> None:
    odyssey = await add_book(runtime, "Ὀδύσσεια", ["Ὅμηρος"])
    nights = await add_book(runtime, "ألف ليلة وليلة", ["مجهول"])
    await add_book(runtime, "Les Misérables", ["Victor Hugo"])
    for query, book in [*((q, odyssey) for q in REPORTED), ("ألف", nights), ("الف ليله", nights)]:
        root = assert_feed((await opds.get("/opds/search", params={"q": query})).content)
        ids = [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]
        assert ids == [f"urn:uuid:{book.id}"], query
