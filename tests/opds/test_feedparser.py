"""A real feed reader (feedparser, as RSS/Atom apps use it) reads the catalog and its acquisition links."""

from __future__ import annotations

import feedparser
import httpx

from tests.opds.helpers import add_book, library_of


async def test_feedparser_reads_navigation_and_acquisition(opds: httpx.AsyncClient, runtime) -> None:
    await library_of(runtime, 60)
    await add_book(runtime, "Ночь & «Day»: 夜", ["Автор Один"], formats=("epub", "pdf"))

    root = feedparser.parse((await opds.get("http://testserver/opds")).content)
    assert not root.bozo, root.bozo_exception
    assert root.feed.title and len(root.entries) >= 4
    all_books = next(link.href for e in root.entries for link in e.links if link.href.endswith("/opds/all"))

    feed = feedparser.parse((await opds.get(all_books)).content)
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 50  # one page; the rest behind rel="next"
    assert any(link.rel == "next" for link in feed.feed.links)
    for entry in feed.entries:
        acquisitions = [link for link in entry.links if link.rel == "http://opds-spec.org/acquisition"]
        assert acquisitions and all(link.type != "application/octet-stream" for link in acquisitions)
        assert entry.id.startswith("urn:uuid:") and entry.author

    search = feedparser.parse((await opds.get("http://testserver/opds/search?q=Ночь")).content)
    assert not search.bozo, search.bozo_exception
    [found] = search.entries
    assert found.title == "Ночь & «Day»: 夜" and found.author == "Автор Один"
    types = sorted(link.type for link in found.links if link.rel == "http://opds-spec.org/acquisition")
    assert types == ["application/epub+zip", "application/pdf"]
    download = next(link.href for link in found.links if link.type == "application/pdf")
    got = await opds.get(download)
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
