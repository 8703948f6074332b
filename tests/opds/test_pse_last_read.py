"""OPDS-PSE pse:lastRead and pse:lastReadDate: the account's page of a comic or PDF, from its latest position."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.accounts.helpers import Member, add_reader, setup_admin
from tests.conftest import make_settings
from tests.opds.helpers import NS, PSE_REL, add_book, assert_feed, links

PSE = "{http://vaemendis.net/opds-pse/ns}"


@pytest.fixture
def settings(tmp_path: Path):  # no OPDS credential from the environment: each account sets its own
    return make_settings(tmp_path)


async def kosync_put(client: httpx.AsyncClient, member: Member, document: str, progress: str, pct: float) -> int:
    body = {"document": document, "progress": progress, "percentage": pct, "device": "Kobo", "device_id": "AB" * 16}
    headers = {**member.koreader(), "content-type": "application/json"}
    r = await client.put("/kosync/syncs/progress", content=json.dumps(body), headers=headers)
    assert r.status_code == 200, r.text
    return int(r.json()["timestamp"])


async def opds_as(client: httpx.AsyncClient, member: Member, name: str) -> httpx.BasicAuth:
    r = await client.put(
        "/api/credentials/opds", headers=member.bearer(), json={"username": name, "password": "pw-" + name}
    )
    assert r.status_code == 200, r.text
    return httpx.BasicAuth(name, "pw-" + name)


def stream_links(body: bytes) -> dict[str, dict[str, str | None]]:
    root = assert_feed(body)
    entries = root.findall("a:entry", NS) if root.tag.endswith("feed") else [root]
    out = {}
    for entry in entries:
        for link in links(entry, PSE_REL):
            out[entry.findtext("a:title", namespaces=NS)] = {
                "count": link.get(PSE + "count"), "lastRead": link.get(PSE + "lastRead"),
                "lastReadDate": link.get(PSE + "lastReadDate"),
            }  # fmt: skip
    return out


def date_of(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_last_read_is_each_accounts_latest_page(client: httpx.AsyncClient, runtime) -> None:
    admin = await setup_admin(client)
    sam = await add_reader(client, admin, "sam")
    admin_opds, sam_opds = await opds_as(client, admin, "admin-app"), await opds_as(client, sam, "sam-app")
    comic = await add_book(runtime, "A Comic", formats=("cbz",), pages=20)
    pdf = await add_book(runtime, "A Manual", formats=("pdf",), pages=30)
    both = await add_book(runtime, "Comic and Text", formats=("cbz", "epub"), pages=10)
    await add_book(runtime, "Only Text", formats=("epub",))
    doc = comic.book.files[0].koreader_hash

    # Nobody has read anything: no lastRead anywhere.
    feed = stream_links((await client.get("/opds/all", auth=admin_opds)).content)
    assert set(feed) == {"A Comic", "A Manual", "Comic and Text"}
    assert all(v["lastRead"] is None and v["lastReadDate"] is None for v in feed.values())

    admin_at = await kosync_put(client, admin, doc, "7", 0.35)
    sam_at = await kosync_put(client, sam, doc, "12", 0.6)
    await kosync_put(client, admin, pdf.book.files[0].koreader_hash, "30", 1)
    # The book's latest is an XPointer in its EPUB: no page to give the comic's stream.
    await kosync_put(client, admin, both.book.files[1].koreader_hash, "/body/DocFragment[1]/body/p[3]/text().0", 0.3)
    await kosync_put(client, sam, both.book.files[0].koreader_hash, "99", 0.9)  # past the last page

    mine = stream_links((await client.get("/opds/all", auth=admin_opds)).content)
    assert mine["A Comic"] == {"count": "20", "lastRead": "7", "lastReadDate": date_of(admin_at)}
    assert mine["A Manual"]["lastRead"] == "30"
    assert mine["Comic and Text"]["lastRead"] is None
    theirs = stream_links((await client.get("/opds/all", auth=sam_opds)).content)
    assert theirs["A Comic"] == {"count": "20", "lastRead": "12", "lastReadDate": date_of(sam_at)}
    assert theirs["A Manual"]["lastRead"] is None and theirs["Comic and Text"]["lastRead"] is None

    # The complete entry and a search say the same.
    entry = await client.get(f"/opds/books/{comic.book.id}", auth=sam_opds)
    assert stream_links(entry.content)["A Comic"]["lastRead"] == "12"
    found = await client.get("/opds/search", params={"q": "comic"}, auth=admin_opds)
    assert stream_links(found.content)["A Comic"]["lastRead"] == "7"

    # The web reader is one more device: its page is the next lastRead, though the feed was rendered before.
    before = await client.get("/opds/all", auth=admin_opds)
    saved = await client.put(f"/api/library/{comic.book.id}/progress", headers=admin.bearer(),
                             json={"percentage": 0.45, "progress": "9"})  # fmt: skip
    assert saved.status_code == 200, saved.text
    after = await client.get("/opds/all", auth=admin_opds)
    assert stream_links(after.content)["A Comic"]["lastRead"] == "9"
    assert after.headers["etag"] != before.headers["etag"]
    assert stream_links((await client.get("/opds/all", auth=sam_opds)).content)["A Comic"]["lastRead"] == "12"


async def test_a_feed_without_streamed_books_outlives_the_accounts_syncs(client: httpx.AsyncClient, runtime) -> None:
    """Only streamed books' entries carry the account's page: a feed of EPUBs is kept across a
    KOReader's position writes, and one with a comic is rendered again with the new page."""
    admin = await setup_admin(client)
    auth = await opds_as(client, admin, "admin-app")
    novel = await add_book(runtime, "Only Text", formats=("epub",))
    comic = await add_book(runtime, "A Comic", formats=("cbz",), pages=20)
    text_feed, comic_feed = f"/opds/books/{novel.book.id}", f"/opds/books/{comic.book.id}"
    for url in (text_feed, comic_feed):
        assert (await client.get(url, auth=auth)).status_code == 200
    await kosync_put(client, admin, novel.book.files[0].koreader_hash, "/body/DocFragment[3]", 0.2)
    await kosync_put(client, admin, comic.book.files[0].koreader_hash, "5", 0.25)
    hits = runtime.catalog.rendered.hits
    assert (await client.get(text_feed, auth=auth)).status_code == 200
    assert runtime.catalog.rendered.hits == hits + 1
    assert stream_links((await client.get(comic_feed, auth=auth)).content)["A Comic"]["lastRead"] == "5"
    assert runtime.catalog.rendered.hits == hits + 1  # rendered again: the page moved
