"""OPDS feeds as clients read them: structure, escaping, pagination, search, caching headers."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from bookshelf import clock
from bookshelf.db import catalog as catalog_rows
from tests.opds.helpers import (
    ACQUISITION,
    ENTRY,
    NAVIGATION,
    NS,
    PASSWORD,
    USER,
    add_book,
    app_client,
    assert_feed,
    cover_bytes,
    library_of,
    link_href,
    links,
    parse,
    relaxng_valid,
)

FEEDS = ["/opds", "/opds/", "/opds/all", "/opds/new", "/opds/authors", "/opds/genres", "/opds/series"]


def ids_of(root) -> list[str]:
    return [e.findtext("a:id", namespaces=NS) for e in root.findall("a:entry", NS)]


async def test_every_feed_validates_against_the_schema(opds: httpx.AsyncClient, runtime) -> None:
    made = await add_book(runtime, "Schema Book", ["A. Writer"], formats=("epub", "cbz"), cover=cover_bytes(),
                          genres=["Poetry"], series="Cycle", series_index=2.0, description="Plain words.",
                          isbn13="9780441478125", publisher="Ace", published_year=1969, language="en",
                          tags=["favourite"])  # fmt: skip
    paths = [*FEEDS, "/opds/authors/1", "/opds/genres/1", "/opds/series/1", "/opds/search?q=schema",
             "/opds/search?q=nothing-matches", f"/opds/books/{made.book.id}"]  # fmt: skip
    for path in paths:
        response = await opds.get(path)
        assert response.status_code == 200, path
        relaxng_valid(response.content)


async def test_root_navigation_feed(opds: httpx.AsyncClient, runtime) -> None:
    await add_book(runtime, "One", ["A. Writer"])
    for path in ("/opds", "/opds/"):
        response = await opds.get(path)
        assert response.status_code == 200 and not response.history
        assert response.headers["content-type"].startswith(NAVIGATION)
        root = assert_feed(response.content)
        assert not links(root, "up")
        targets = {e.findtext("a:title", namespaces=NS): links(e)[0] for e in root.findall("a:entry", NS)}
        assert targets["All books"].get("type") == ACQUISITION
        assert targets["New arrivals"].get("rel") == "http://opds-spec.org/sort/new"
        for name in ("Authors", "Genres", "Series"):
            assert targets[name].get("type") == NAVIGATION and targets[name].get("rel") == "subsection"


async def test_acquisition_entry_carries_everything(opds: httpx.AsyncClient, runtime) -> None:
    made = await add_book(runtime, "Left Hand", ["Ursula K. Le Guin", "Second Author"], formats=("epub", "pdf"),
                          cover=cover_bytes("png"), genres=["Science Fiction"], description="A" * 3000,
                          isbn13="9780441478125", publisher="Ace", published_year=1969, language="en")  # fmt: skip
    root = assert_feed((await opds.get("/opds/all")).content)
    (entry,) = root.findall("a:entry", NS)
    assert entry.findtext("a:id", namespaces=NS) == f"urn:uuid:{made.book.id}"
    assert [a.findtext("a:name", namespaces=NS) for a in entry.findall("a:author", NS)] == [
        "Ursula K. Le Guin", "Second Author"]  # fmt: skip
    assert entry.findtext("dc:language", namespaces=NS) == "en"
    assert entry.findtext("dc:identifier", namespaces=NS) == "urn:isbn:9780441478125"
    assert entry.findtext("dc:issued", namespaces=NS) == "1969"
    assert entry.findtext("dc:publisher", namespaces=NS) == "Ace"
    assert entry.find("a:category", NS).get("term") == "Science Fiction"
    assert entry.find("a:content", NS) is None and len(entry.findtext("a:summary", namespaces=NS)) <= 1200
    types = sorted(link.get("type") for link in links(entry, "http://opds-spec.org/acquisition"))
    assert types == ["application/epub+zip", "application/pdf"]
    assert links(entry, "http://opds-spec.org/image")[0].get("type") == "image/png"
    assert links(entry, "http://opds-spec.org/image/thumbnail")[0].get("type") == "image/jpeg"
    assert links(entry, "http://vaemendis.net/opds-pse/stream")[0].get("{http://vaemendis.net/opds-pse/ns}count") == "3"
    # The complete entry: same id, full description as content, self link with the entry type.
    response = await opds.get(f"/opds/books/{made.book.id}")
    assert response.headers["content-type"].startswith(ENTRY)
    doc = assert_feed(response.content)
    assert doc.findtext("a:id", namespaces=NS) == f"urn:uuid:{made.book.id}"
    assert doc.findtext("a:content", namespaces=NS) == "A" * 3000
    assert links(doc, "self")[0].get("type") == ENTRY


async def test_hostile_and_non_latin_text_is_escaped_once(opds: httpx.AsyncClient, runtime) -> None:
    title = "Tom & Jerry <b>\"quoted\"</b> 'single' \x0b]]>"
    made = await add_book(runtime, title, ["Фёдор Достоевский"], genres=["Ужасы & <Horror>"],
                          description="Line <p>one</p> & two &nbsp;")  # fmt: skip
    await add_book(runtime, "ノルウェイの森", ["村上 春樹"])
    await add_book(runtime, "الخيميائي", ["باولو كويلو"])
    body = (await opds.get("/opds/all")).content
    assert b"&amp;amp;" not in body and b"&nbsp;" not in body.replace(b"&amp;nbsp;", b"")
    root = assert_feed(body)
    titles = {e.findtext("a:title", namespaces=NS) for e in root.findall("a:entry", NS)}
    assert titles == {title.replace("\x0b", ""), "ノルウェイの森", "الخيميائي"}
    entry = next(e for e in root.findall("a:entry", NS) if "Tom" in e.findtext("a:title", namespaces=NS))
    assert entry.findtext("a:summary", namespaces=NS) == "Line <p>one</p> & two &nbsp;"
    assert entry.find("a:category", NS).get("label") == "Ужасы & <Horror>"
    found = assert_feed((await opds.get("/opds/search", params={"q": "Достоевский"})).content)
    assert ids_of(found) == [f"urn:uuid:{made.book.id}"]


async def test_pagination_walks_120_books_without_overlap(opds: httpx.AsyncClient, runtime) -> None:
    made = await library_of(runtime, 120)
    for path in ("/opds/all", "/opds/new"):
        seen: list[str] = []
        url: str | None = path
        pages = 0
        while url:
            root = assert_feed((await opds.get(url)).content)
            pages += 1
            assert link_href(root, "self").endswith(url.removeprefix("http://testserver")) or pages == 1
            for rel in ("first", "last"):
                assert links(root, rel)[0].get("type") == ACQUISITION
            seen.extend(ids_of(root))
            url = link_href(root, "next")
            assert pages < 10
        assert pages == 3 and len(seen) == 120 and len(set(seen)) == 120
        assert link_href(root, "previous").endswith("page=2")
        assert root.findtext("{http://a9.com/-/spec/opensearch/1.1/}totalResults") == "120"
    newest = ids_of(parse((await opds.get("/opds/new")).content))
    assert newest[0] == f"urn:uuid:{made[-1].book.id}"  # organized last, listed first
    beyond = assert_feed((await opds.get("/opds/all?page=4")).content)
    assert ids_of(beyond) == [] and link_href(beyond, "next") is None
    for garbage in ("0", "-1", "abc", "1.5", "99999999999999"):
        response = await opds.get(f"/opds/all?page={garbage}")
        assert response.status_code == 400, garbage
        assert response.headers["content-type"].startswith("text/plain")


async def test_navigation_lists_and_their_feeds(opds: httpx.AsyncClient, runtime) -> None:
    await library_of(runtime, 60)
    root = assert_feed((await opds.get("/opds/authors")).content)
    names = [e.findtext("a:title", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert names[:2] == ["Author 00", "Author 01"] and "Second Writer" in names and len(names) == 14
    first = root.findall("a:entry", NS)[0]
    assert first.findtext("a:content", namespaces=NS) == "5 books"
    author_feed = assert_feed((await opds.get(links(first)[0].get("href"))).content)
    assert len(ids_of(author_feed)) == 5 and link_href(author_feed, "up").endswith("/opds/authors")
    series = assert_feed((await opds.get("/opds/series")).content)
    (entry,) = series.findall("a:entry", NS)
    books = assert_feed((await opds.get(links(entry)[0].get("href"))).content)
    titles = [e.findtext("a:title", namespaces=NS) for e in books.findall("a:entry", NS)]
    assert titles == [f"Book {i:03d} of the shelf" for i in range(0, 60, 4)]  # by series index
    genres = assert_feed((await opds.get("/opds/genres")).content)
    assert len(genres.findall("a:entry", NS)) == 5
    for path in ("/opds/authors/999", "/opds/genres/999", "/opds/series/999", "/opds/authors/abc"):
        assert (await opds.get(path)).status_code == 404, path


async def test_long_navigation_lists_are_paginated(opds: httpx.AsyncClient, runtime) -> None:
    for i in range(55):
        await add_book(runtime, f"Solo {i}", [f"Writer {i:02d}"])
    first = assert_feed((await opds.get("/opds/authors")).content)
    second = assert_feed((await opds.get(link_href(first, "next"))).content)
    assert len(first.findall("a:entry", NS)) == 50 and len(second.findall("a:entry", NS)) == 5
    assert links(first, "next")[0].get("type") == NAVIGATION and link_href(second, "next") is None


async def test_only_organized_books_appear(opds: httpx.AsyncClient, runtime) -> None:
    shown = await add_book(runtime, "Shelved Book")
    hidden = await add_book(runtime, "Shelved Inbox Book", status="review")
    root = assert_feed((await opds.get("/opds/all")).content)
    assert ids_of(root) == [f"urn:uuid:{shown.book.id}"]
    assert ids_of(assert_feed((await opds.get("/opds/search?q=shelved")).content)) == [f"urn:uuid:{shown.book.id}"]
    assert (await opds.get(f"/opds/books/{hidden.book.id}")).status_code == 404
    file_id = hidden.book.files[0].id
    assert (await opds.get(f"/opds/books/{hidden.book.id}/download/{file_id}")).status_code == 404


async def test_search_description_and_results(opds: httpx.AsyncClient, runtime) -> None:
    made = await add_book(runtime, "The Brontë Sisters", ["Emily Brontë"])
    response = await opds.get("/opds/search")
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    osd = parse(response.content)
    assert osd.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription" and osd.prefix is None
    ns = {"o": "http://a9.com/-/spec/opensearch/1.1/"}
    assert len(osd.findall("o:ShortName", ns)) == 1 and len(osd.findtext("o:ShortName", namespaces=ns)) <= 16
    assert len(osd.findall("o:Description", ns)) == 1
    (url,) = osd.findall("o:Url", ns)
    assert url.get("type") == ACQUISITION and url.get("template") == "http://testserver/opds/search?q={searchTerms}"
    hit = await opds.get(url.get("template").replace("{searchTerms}", "bronte%20sis"))
    assert ids_of(assert_feed(hit.content)) == [f"urn:uuid:{made.book.id}"]
    assert link_href(parse(hit.content), "self") == "http://testserver/opds/search?q=bronte%20sis"
    for odd in ("", "   ", '"', "*", "AND", "(", "NEAR(", "'; DROP TABLE books; --", "zzzzqqq", "a" * 500):
        response = await opds.get("/opds/search", params={"q": odd})
        assert response.status_code == 200, odd
        assert response.headers["content-type"].startswith(ACQUISITION)
        root = assert_feed(response.content)
        assert odd.strip() == "" or ids_of(root) == [] or odd == "*"
    assert (await opds.get("/opds/search", params={"q": "a" * 501})).status_code == 400


async def test_head_last_modified_and_no_gzip(opds: httpx.AsyncClient, runtime) -> None:
    await add_book(runtime, "First")
    get = await opds.get("/opds/all", headers={"Accept-Encoding": "gzip, identity"})
    assert "content-encoding" not in get.headers
    head = await opds.head("/opds/all")
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "last-modified", "etag"):
        assert head.headers[name] == get.headers[name], name
    before = get.headers["last-modified"]
    # Last-Modified has one-second resolution: wait (with a deadline) until the clock moves on.
    seen = clock.now_iso()
    deadline = time.monotonic() + 3
    while clock.now_iso() == seen and time.monotonic() < deadline:
        time.sleep(0.01)
    await add_book(runtime, "Second")
    after = await opds.get("/opds/all")
    assert after.headers["last-modified"] != before and after.headers["etag"] != get.headers["etag"]
    for path in ("/opds", "/opds/authors"):
        assert (await opds.get(path)).headers["etag"] == (await opds.head(path)).headers["etag"]


async def test_clients_accept_header_still_gets_atom(opds: httpx.AsyncClient) -> None:
    accept = "application/opds+json, application/atom+xml;profile=opds-catalog, */*"
    response = await opds.get("/opds", headers={"Accept": accept, "Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.content.startswith(b"<?xml")


async def test_links_follow_the_trusted_proxy(tmp_path: Path) -> None:
    async with app_client(tmp_path, opds_username=USER, opds_password=PASSWORD, trusted_proxies="127.0.0.1") as (
        rt, http):  # fmt: skip
        await add_book(rt, "Proxied")
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "books.example.org",
                   "X-Forwarded-Prefix": "/shelf"}  # fmt: skip
        response = await http.get("/opds/all", headers=headers, auth=(USER, PASSWORD))
        assert response.status_code == 200
        root = assert_feed(response.content)
        hrefs = [link.get("href") for link in root.iter("{http://www.w3.org/2005/Atom}link")]
        assert hrefs and all(h.startswith("https://books.example.org/shelf/opds") for h in hrefs), hrefs


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_wrong_methods_and_unknown_paths(opds: httpx.AsyncClient, method: str) -> None:
    response = await opds.request(method, "/opds/all")
    assert response.status_code == 405 and "GET" in response.headers["allow"]
    assert response.headers["content-type"].startswith("text/plain")
    missing = await opds.get("/opds/nothing/here")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")


async def test_rendered_feeds_never_outlive_a_change(opds: httpx.AsyncClient, runtime) -> None:
    first = await add_book(runtime, "Cached One", ["Same Writer"])
    for _ in range(2):  # the second answer comes from the rendered-feed cache
        assert len(ids_of(parse((await opds.get("/opds/all")).content))) == 1
    await add_book(runtime, "Cached Two", ["Same Writer"])
    assert len(ids_of(parse((await opds.get("/opds/all")).content))) == 2
    assert "2 books" in (await opds.get("/opds/authors")).text
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE books SET title = 'Renamed' WHERE id = ?", (first.book.id,))
    assert "Renamed" in (await opds.get(f"/opds/books/{first.book.id}")).text
    async with runtime.db.write() as conn:
        await conn.execute("DELETE FROM books WHERE id = ?", (first.book.id,))
    assert len(ids_of(parse((await opds.get("/opds/all")).content))) == 1
    assert (await opds.get(f"/opds/books/{first.book.id}")).status_code == 404


async def test_deep_pages_from_the_cached_ordering_match_offset_paging(runtime) -> None:
    from bookshelf.services.library.catalog import CatalogService

    made = await library_of(runtime, 120)
    ordered = CatalogService(runtime.db, runtime.settings, runtime.search, deep_offset=0)
    for round_ in range(2):
        for sort in ("title_asc", "organized_newest"):
            for page in (1, 2, 3, 4):
                expected = await runtime.catalog.books(page, sort)
                got = await ordered.books(page, sort)
                assert [e.book.id for e in got.items] == [e.book.id for e in expected.items], (sort, page)
                assert got.total == expected.total == 120 + round_
        await add_book(runtime, "Aaa first by title", organized_at="2030-01-01T00:00:00Z")  # a change
    removed = made[0].book.id
    async with runtime.db.write() as conn:
        await conn.execute("DELETE FROM books WHERE id = ?", (removed,))
    assert removed not in [e.book.id for p in (1, 2, 3) for e in (await ordered.books(p, "title_asc")).items]


async def test_sort_facets_on_all_books(opds: httpx.AsyncClient, runtime) -> None:
    await library_of(runtime, 60)
    await add_book(runtime, "Zzz newest", ["Aaron 0"], organized_at="2031-01-01T00:00:00Z")
    body = (await opds.get("/opds/all")).content
    assert b"opds:facetGroup=" in body  # KOReader reads the attribute by this literal prefix
    root = assert_feed(body)
    facets = links(root, "http://opds-spec.org/facet")
    assert [f.get("title") for f in facets] == ["Title", "Author", "Newest"]
    group, active = "{http://opds-spec.org/2010/catalog}facetGroup", "{http://opds-spec.org/2010/catalog}activeFacet"
    assert {f.get(group) for f in facets} == {"Sort by"} and all(f.get("type") == ACQUISITION for f in facets)
    assert [f.get(active) for f in facets] == ["true", None, None]
    by_author = assert_feed((await opds.get(facets[1].get("href"))).content)
    assert by_author.find("a:entry/a:author/a:name", NS).text == "Aaron 0"  # surname "0" sorts first
    assert link_href(by_author, "next").endswith("/opds/all?sort=author&page=2")
    assert [f.get(active) for f in links(by_author, "http://opds-spec.org/facet")] == [None, "true", None]
    newest = assert_feed((await opds.get("/opds/all?sort=new")).content)
    assert newest.find("a:entry/a:title", NS).text == "Zzz newest"
    assert (await opds.get("/opds/all?sort=shuffle")).status_code == 400


async def test_search_pages_follow_one_ranking_without_overlap(opds: httpx.AsyncClient, runtime) -> None:
    """Each search page is ranked on its own: together the pages are the whole ranking, in order."""
    await library_of(runtime, 120)
    ranking = await runtime.search.match("shelf", ("organized",), limit=1000)
    async with runtime.db.read() as conn:
        expected = [f"urn:uuid:{book_id}" for book_id in await catalog_rows.ids_for_nums(conn, ranking)]
    seen: list[str] = []
    for page in (1, 2, 3):
        root = assert_feed((await opds.get("/opds/search", params={"q": "shelf", "page": page})).content)
        assert root.findtext("{http://a9.com/-/spec/opensearch/1.1/}totalResults") == "120"
        seen.extend(ids_of(root))
    assert len(expected) == 120 and seen == expected
    assert ids_of(assert_feed((await opds.get("/opds/search", params={"q": "shelf", "page": 4})).content)) == []
