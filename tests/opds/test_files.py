"""Downloads, covers and streamed pages (PSE) of CBZ, CBR and PDF books, with the page cache."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os

import httpx
from PIL import Image

from bookshelf.db.connection import fetchall
from bookshelf.services.library.page_stream import PageService
from tests.opds.helpers import NS, add_book, assert_feed, cover_bytes, links, parse

PSE = "http://vaemendis.net/opds-pse/stream"


async def test_download_headers_ranges_and_served_names(opds: httpx.AsyncClient, runtime) -> None:
    made = await add_book(runtime, "Бесы", ["Фёдор Достоевский"], formats=("epub", "pdf"))
    entry = parse((await opds.get(f"/opds/books/{made.book.id}")).content)
    for link in links(entry, "http://opds-spec.org/acquisition"):
        response = await opds.get(link.get("href"))
        file_id = link.get("href").rsplit("/", 1)[1]
        assert response.status_code == 200
        assert response.content == made.paths[file_id].read_bytes()
        assert response.headers["content-type"] == link.get("type")
        assert response.headers["content-length"] == link.get("length") == str(len(response.content))
        disposition = response.headers["content-disposition"]
        ext = ".epub" if link.get("type") == "application/epub+zip" else ".pdf"
        assert disposition.startswith('attachment; filename="') and f'{ext}"' in disposition
        assert "filename*=UTF-8''" in disposition and "%D0%91%D0%B5%D1%81%D1%8B" in disposition
        head = await opds.head(link.get("href"))
        assert head.content == b"" and head.headers["content-disposition"] == disposition
        assert head.headers["content-length"] == response.headers["content-length"]
        part = await opds.get(link.get("href"), headers={"Range": "bytes=2-11"})
        assert part.status_code == 206 and part.content == response.content[2:12]
    async with runtime.db.read() as conn:
        rows = await fetchall(conn, "SELECT value FROM file_hashes WHERE kind = 'filename'")
    expected = hashlib.md5(made.book.files[0].filename.encode()).hexdigest()
    assert expected in {row[0] for row in rows}  # KOReader's filename-mode id maps to the book


async def test_download_refuses_what_it_should(opds: httpx.AsyncClient, runtime) -> None:
    one = await add_book(runtime, "One")
    other = await add_book(runtime, "Other")
    base = f"/opds/books/{one.book.id}/download"
    assert (await opds.get(f"{base}/{other.book.files[0].id}")).status_code == 404  # another book's file
    assert (await opds.get(f"{base}/00000000-0000-4000-8000-000000000000")).status_code == 404
    assert (await opds.get(f"{base}/not-a-uuid")).status_code == 404
    assert (await opds.get("/opds/books/not-a-uuid")).status_code == 404
    past_end = {"Range": "bytes=999999-1000000"}
    assert (await opds.get(f"{base}/{one.book.files[0].id}", headers=past_end)).status_code == 416
    next(iter(one.paths.values())).unlink()
    gone = await opds.get(f"{base}/{one.book.files[0].id}")
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/plain")


async def test_covers_and_thumbnails_match_their_links(opds: httpx.AsyncClient, runtime) -> None:
    png = await add_book(runtime, "Png Cover", cover=cover_bytes("png"), thumb=True)
    jpeg_only = await add_book(runtime, "Jpeg Cover", cover=cover_bytes("jpeg"), thumb=False)
    bare = await add_book(runtime, "No Cover")
    lost = await add_book(runtime, "Lost Cover", cover=cover_bytes("png") + b"x")
    (runtime.settings.covers_dir / lost.book.cover_sha256[:2] / f"{lost.book.cover_sha256}.jpg").unlink()
    root = assert_feed((await opds.get("/opds/all")).content)
    by_title = {e.findtext("a:title", namespaces=NS): e for e in root.findall("a:entry", NS)}
    for made in (png, jpeg_only, bare):  # the bare one gets a generated cover
        entry = by_title[made.book.title]
        for rel in ("http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"):
            (link,) = links(entry, rel)
            image = await opds.get(link.get("href"))
            assert image.status_code == 200 and image.headers["content-type"] == link.get("type")
            assert Image.open(io.BytesIO(image.content)).get_format_mimetype() == link.get("type")
    full = await opds.get(f"/opds/books/{png.book.id}/cover")
    assert full.content == cover_bytes("png")
    again = await opds.get(f"/opds/books/{png.book.id}/cover", headers={"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304
    thumb = await opds.get(f"/opds/books/{bare.book.id}/thumbnail")
    assert Image.open(io.BytesIO(thumb.content)).size[1] <= 300  # the generated cover's own thumbnail
    cached = await opds.get(f"/opds/books/{bare.book.id}/thumbnail", headers={"If-None-Match": thumb.headers["etag"]})
    assert cached.status_code == 304
    # A cover recorded but gone from disk is not replaced by a generated one: doctor reports it.
    assert not links(by_title[lost.book.title], "http://opds-spec.org/image")
    assert (await opds.get(f"/opds/books/{lost.book.id}/cover")).status_code == 404
    assert (await opds.get(f"/opds/books/{lost.book.id}/thumbnail")).status_code == 404


async def stream_link(opds: httpx.AsyncClient, book_id: str) -> tuple[str, int]:
    entry = parse((await opds.get(f"/opds/books/{book_id}")).content)
    (link,) = links(entry, PSE)
    return link.get("href"), int(link.get("{http://vaemendis.net/opds-pse/ns}count"))


def fill(template: str, page: int, width: int) -> str:
    return template.replace("{pageNumber}", str(page)).replace("{maxWidth}", str(width))


async def test_cbz_pages_stream_scaled_and_cached(opds: httpx.AsyncClient, runtime) -> None:
    made = await add_book(runtime, "Comic", formats=("cbz",), pages=4)
    template, count = await stream_link(opds, made.book.id)
    assert count == 4
    widths = []
    for page in range(count):
        response = await opds.get(fill(template, page, 300))
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.content))
        assert image.get_format_mimetype() == response.headers["content-type"]
        widths.append(image.size[0])
    assert widths == [300] * 4  # pages are 600 px wide
    unscaled = Image.open(io.BytesIO((await opds.get(fill(template, 1, 5000))).content))
    assert unscaled.size == (600, 900)
    assert len(list((runtime.settings.cache_dir / "pages").rglob("*.img"))) == 5
    # Served from the cache: the comic file itself is no longer needed for a page seen before.
    next(iter(made.paths.values())).unlink()
    assert (await opds.get(fill(template, 2, 300))).status_code == 200
    for bad, status in (("4", 404), ("99", 404), ("-1", 400), ("x", 400)):
        assert (await opds.get(template.split("{pageNumber}")[0] + bad)).status_code == status, bad
    assert (await opds.get(fill(template, 0, 300).replace("maxWidth=300", "maxWidth=wide"))).status_code == 400


async def test_pdf_and_cbr_pages_stream(opds: httpx.AsyncClient, runtime) -> None:
    pdf = await add_book(runtime, "Paper", formats=("pdf",), pages=2)
    template, count = await stream_link(opds, pdf.book.id)
    assert count == 2
    response = await opds.get(fill(template, 1, 200))
    assert response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size[0] <= 200
    cbr = await add_book(runtime, "Rar Comic", formats=("cbr",), pages=3)
    template, count = await stream_link(opds, cbr.book.id)
    response = await opds.get(fill(template, 0, 1000))
    assert response.status_code == 200 and count == 3
    assert Image.open(io.BytesIO(response.content)).get_format_mimetype() == response.headers["content-type"]
    epub = await add_book(runtime, "Reflowable")
    entry = parse((await opds.get(f"/opds/books/{epub.book.id}")).content)
    assert not links(entry, PSE)
    assert (await opds.get(f"/opds/books/{epub.book.id}/pages/0")).status_code == 404


async def test_page_cache_stays_under_its_cap(runtime) -> None:
    made = await add_book(runtime, "Big Comic", formats=("cbz",), pages=6)
    (file,) = made.book.files
    path = made.paths[file.id]
    service = PageService(runtime.settings.cache_dir / "capped", cap=10**9)
    sizes = []
    for index in range(6):
        data = await service.page(path, file, index, None)
        sizes.append(len(data))
        os.utime(service.cached_path(file, index, None), (index, index))  # a clear LRU order
    service.cap = max(sizes) * 3
    await service.page(path, file, 0, 100)  # one more write triggers eviction down to 80% of the cap
    kept = list(service.dir.rglob("*.img"))
    assert sum(p.stat().st_size for p in kept) <= service.cap * 0.8
    assert service.cached_path(file, 0, 100) in kept and service.cached_path(file, 0, None) not in kept


async def test_a_first_download_leaves_the_catalog_marker_and_cached_feeds_alone(opds: httpx.AsyncClient,
                                                                                 runtime) -> None:  # fmt: skip
    """The first download of a file claims its ASCII name; that is no change to any feed, so the
    marker that keeps feeds, ETags and the authors/genres/series counts cached must not move."""
    made = await add_book(runtime, "Ὀδύσσεια", ["Ὅμηρος"], formats=("epub", "pdf"))
    before = await runtime.catalog.state()
    root = await opds.get("/opds")
    for file in made.book.files:
        response = await opds.get(f"/opds/books/{made.book.id}/download/{file.id}")
        assert response.status_code == 200 and "Odysseia" in response.headers["content-disposition"]
    async with runtime.db.read() as conn:
        named = await fetchall(conn, "SELECT ascii_name FROM files WHERE book_id = ?", (made.book.id,))
    assert all(row[0] for row in named), "each download claimed its name"
    assert (await runtime.catalog.state()).generation == before.generation
    assert (await opds.get("/opds")).headers["etag"] == root.headers["etag"]
    # The other columns no feed shows: what organizing embedded, the name key of a rename.
    for column in ("embedded", "name_key"):
        async with runtime.db.write() as conn:
            await conn.execute(f"UPDATE files SET {column} = 'x' || id WHERE book_id = ?", (made.book.id,))
        assert (await runtime.catalog.state()).generation == before.generation, column
    # A change a feed does show still moves it: the page count a PSE link carries.
    async with runtime.db.write() as conn:
        await conn.execute("UPDATE files SET page_count = 7 WHERE id = ?", (made.book.files[1].id,))
    assert (await runtime.catalog.state()).generation > before.generation


async def test_a_repeat_download_takes_no_write_lock(opds: httpx.AsyncClient, api_key: str, runtime) -> None:
    """Every download names the file and records that name for KOReader's filename mode; once
    both are stored, a download must not wait for the writer, which KOReader syncs queue on."""
    made = await add_book(runtime, "Мастер и Маргарита", ["Михаил Булгаков"], formats=("epub",))
    file = made.book.files[0]
    first = await opds.get(f"/opds/books/{made.book.id}/download/{file.id}")
    assert first.status_code == 200
    served = first.headers["content-disposition"].split('filename="')[1].split('"')[0]
    async with runtime.db.read() as conn:
        recorded = {row[0] for row in await fetchall(
            conn, "SELECT value FROM file_hashes WHERE file_id = ? AND kind = 'filename'", (file.id,))}  # fmt: skip
    assert hashlib.md5(served.encode()).hexdigest() in recorded, "the served ASCII name syncs in filename mode"
    async with runtime.db.write():  # every write waits until this block ends
        again = await asyncio.wait_for(opds.get(f"/opds/books/{made.book.id}/download/{file.id}"), 10)
        web = await asyncio.wait_for(opds.get(f"/api/library/{made.book.id}/download/{file.id}", auth=None,
                                              headers={"X-API-Key": api_key}), 10)  # fmt: skip
    assert again.status_code == web.status_code == 200
    assert again.headers["content-disposition"] == first.headers["content-disposition"]
