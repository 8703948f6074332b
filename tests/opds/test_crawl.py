"""A client's walk through the whole catalog: every link resolves and every file is what it claims."""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from pathlib import Path

import httpx
from PIL import Image

from tests.opds.helpers import (
    ACQUISITION,
    NAVIGATION,
    PASSWORD,
    PSE_REL,
    USER,
    add_book,
    assert_feed,
    library_of,
    parse,
)
from tests.serve import running_server

FEED_TYPES = (NAVIGATION, ACQUISITION, "application/atom+xml;type=entry;profile=opds-catalog")


def looks_like(data: bytes, media_type: str) -> bool:
    if media_type == "application/pdf":
        return data.startswith(b"%PDF")
    if media_type in ("application/epub+zip", "application/vnd.comicbook+zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            is_epub = archive.read("mimetype") == b"application/epub+zip" if "mimetype" in archive.namelist() else False
        return is_epub == (media_type == "application/epub+zip")
    if media_type == "application/vnd.comicbook-rar":
        return data.startswith(b"Rar!")
    if media_type.startswith("image/"):
        return Image.open(io.BytesIO(data)).get_format_mimetype() == media_type
    return False


async def crawl(http: httpx.AsyncClient, start: str) -> dict[str, int]:
    """Breadth-first over every link, as an OPDS client would follow them."""
    seen: set[str] = set()
    queue: deque[str] = deque([start])
    counts = {"feeds": 0, "downloads": 0, "images": 0, "pages": 0, "entries": 0}
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = await http.get(url)
        assert response.status_code == 200, url
        root = assert_feed(response.content)
        counts["feeds"] += 1
        counts["entries"] += len(root.findall("{http://www.w3.org/2005/Atom}entry"))
        for link in root.iter("{http://www.w3.org/2005/Atom}link"):
            href, kind, rel = link.get("href"), link.get("type"), link.get("rel")
            if kind == "text/html":  # the book's web page, for people: only its address is checked
                assert rel == "alternate" and re.search(r"/books/[0-9a-f-]{36}$", href), href
                continue
            assert href.startswith("http://testserver/opds") or href.startswith(start.split("/opds")[0]), href
            if rel == "search":
                osd = await http.get(href)
                assert osd.status_code == 200 and b"{searchTerms}" in osd.content
            elif kind in FEED_TYPES:
                queue.append(href)
            elif rel == PSE_REL:
                page = await http.get(href.replace("{pageNumber}", "0").replace("{maxWidth}", "200"))
                assert page.status_code == 200 and looks_like(page.content, page.headers["content-type"])
                counts["pages"] += 1
            elif href not in seen:
                seen.add(href)
                got = await http.get(href)
                assert got.status_code == 200, href
                assert got.headers["content-type"] == kind and looks_like(got.content, kind), href
                if rel == "http://opds-spec.org/acquisition":
                    assert int(link.get("length")) == len(got.content)
                    counts["downloads"] += 1
                else:
                    counts["images"] += 1
    return counts


# Books whose entries have nothing to inherit or fall back on, and titles in every script.
BARE_BOOKS = [
    ("Ὀδύσσεια", [], {}),
    ("ألف ليلة وليلة", [], {"language": None}),
    ("שִׁירֵי אַהֲבָה", ["רחל"], {"description": None}),
    ("吾輩は猫である", ["夏目漱石"], {}),
    ("Война и мир", ["Лев Толстой"], {"description": "Роман-эпопея."}),
    ("Truyện Kiều", ["Nguyễn Du"], {}),
    ('🐉 & <Dragons> "quoted"', [], {}),
    ("e\u0301te\u0301 ZWJ \u200d RTL \u202e mark", ["\u202eNobody"], {}),
]


async def test_crawl_the_whole_catalog(opds: httpx.AsyncClient, runtime) -> None:
    await library_of(runtime, 120)
    await add_book(runtime, "Rar Comic", ["Author 00"], formats=("cbr",))
    for title, authors, fields in BARE_BOOKS:
        await add_book(runtime, title, authors, **fields)
    counts = await crawl(opds, "http://testserver/opds")
    # every file once: EPUBs, EPUB+PDF pairs, CBZs, the CBR, the bare books
    assert counts["downloads"] == 108 + 6 * 2 + 6 + 1 + len(BARE_BOOKS)
    assert counts["pages"] >= 13 and counts["images"] >= 40 and counts["feeds"] > 120


def test_served_by_bookshelf_serve(tmp_path: Path) -> None:
    """The real server as a subprocess: auth, feeds, HEAD, a ranged download and a streamed page."""
    import asyncio

    from bookshelf.runtime import Runtime
    from tests.conftest import make_settings

    data = tmp_path / "data"
    env = {"BOOKSHELF_OPDS_USERNAME": USER, "BOOKSHELF_OPDS_PASSWORD": PASSWORD}
    with running_server(data, env=env) as server:

        async def add(title: str, formats: tuple[str, ...]):
            rt = await Runtime.open(make_settings(tmp_path), background=False)
            try:
                return await add_book(rt, title, ["Served Author"], formats=formats)
            finally:
                await rt.close()

        made = asyncio.run(add("Served Book & Co", ("epub", "cbz")))
        with httpx.Client(base_url=server.base_url, auth=(USER, PASSWORD), timeout=10) as http:
            bare = httpx.get(server.base_url + "/opds")
            assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith('Basic realm="bookshelf"')
            root = parse(http.get("/opds/").content)
            assert root.tag.endswith("feed")
            feed = http.get("/opds/all")
            assert_feed(feed.content)
            assert b"Served Book &amp; Co" in feed.content
            head = http.head("/opds/all")
            assert head.status_code == 200 and head.headers["last-modified"] == feed.headers["last-modified"]
            epub = next(f for f in made.book.files if f.format == "epub")
            url = f"/opds/books/{made.book.id}/download/{epub.id}"
            part = http.get(url, headers={"Range": "bytes=0-3"})
            assert part.status_code == 206 and part.content == b"PK\x03\x04"
            page = http.get(f"/opds/books/{made.book.id}/pages/0?maxWidth=120")
            assert page.status_code == 200 and Image.open(io.BytesIO(page.content)).size[0] == 120
            asyncio.run(add("Second Served", ("epub",)))
            assert http.get("/opds/all").headers["etag"] != feed.headers["etag"]
    assert PASSWORD not in server.log()
