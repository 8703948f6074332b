"""End to end through the API: candidates from the fakes, per-field approval, organizing, editing."""

from __future__ import annotations

import uuid

import httpx

from bookshelf.db import books as book_rows
from bookshelf.formats import read_book
from bookshelf.runtime import Runtime
from tests.builders import make_jpeg, make_png
from tests.metadata.conftest import AUTHOR, ISBN, TITLE, Fakes
from tests.seed import add_book, disk_path, job_state, reload


async def looked_up(rt: Runtime, title: str = "Left Hand", **kwargs: object) -> str:
    """A book in review whose file says little, with candidates fetched from the fakes."""
    book = await add_book(rt, title, [AUTHOR], isbn=ISBN, **kwargs)  # type: ignore[arg-type]
    await rt.metadata.lookup(book.id)
    return book.id


def by_source(page: dict) -> dict[str, dict]:
    return {c["source"]: c for c in page["candidates"]}


async def test_review_approve_organize_end_to_end(api: httpx.AsyncClient, runtime: Runtime, fakes: Fakes) -> None:
    book_id = await looked_up(runtime)
    before = (await reload(runtime, book_id)).files[0]

    page = (await api.get(f"/api/books/{book_id}/candidates")).json()
    assert page["book"]["id"] == book_id and page["book"]["status"] == "review"
    found = by_source(page)
    assert set(found) == {"file", "hardcover", "google_books", "openlibrary"}
    ol = found["openlibrary"]
    assert ol["coverUrl"] == f"/api/books/{book_id}/candidates/{ol['id']}/cover"
    assert ol["remoteCoverUrl"].startswith(fakes.urls["openlibrary"])
    assert set(ol) >= {"id", "source", "sourceId", "score", "title", "authors", "series", "seriesIndex", "isbn10",
                       "isbn13", "publisher", "publishedYear", "language", "description", "pageCount", "genres",
                       "coverUrl", "remoteCoverUrl", "fetchedAt"}  # fmt: skip
    assert [n["status"] for n in page["lookup"]["notes"]] == ["ok", "ok", "ok"]

    cover = await api.get(ol["coverUrl"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"
    served = len(fakes.openlibrary.requests)
    assert (await api.get(ol["coverUrl"])).content == cover.content
    assert len(fakes.openlibrary.requests) == served  # cached on disk under data/cache/candidates
    assert list((runtime.settings.cache_dir / "candidates").iterdir())

    body = {
        "selections": {"title": found["hardcover"]["id"], "description": found["google_books"]["id"],
                       "publisher": found["hardcover"]["id"], "cover": ol["id"]},
        "overrides": {"series": "Hainish", "seriesIndex": 4},
    }  # fmt: skip
    response = await api.post(f"/api/books/{book_id}/approve", json=body)
    assert response.status_code == 200, response.text
    approved = response.json()
    assert approved["book"]["status"] == "organized" and approved["book"]["organizedAt"]
    assert approved["book"]["title"] == TITLE
    assert approved["book"]["description"] == "Google's description."
    assert approved["book"]["series"] == "Hainish" and approved["book"]["seriesIndex"] == 4.0
    assert approved["book"]["language"] == "en"  # not selected: the file's value stays
    assert approved["book"]["coverUrl"].startswith(f"/api/library/{book_id}/cover?v=")
    await runtime.jobs.drain()
    assert (await job_state(runtime, approved["jobId"])).state == "completed"

    file = (await reload(runtime, book_id)).files[0]
    assert file.path == f"{AUTHOR}/{TITLE}/{AUTHOR} - {TITLE}.epub"
    path = runtime.settings.library_dir / AUTHOR / TITLE / f"{AUTHOR} - {TITLE}.epub"
    assert path.is_file()
    parsed = read_book(path)
    assert parsed.title == TITLE
    assert parsed.description == "Google's description."
    assert (parsed.series, parsed.series_index, parsed.publisher) == ("Hainish", 4.0, "Ace")
    assert parsed.cover
    async with runtime.db.read() as conn:
        assert await book_rows.book_ids_for_documents(conn, "", [before.koreader_hash]) == {
            before.koreader_hash: book_id
        }

    assert (await api.post(f"/api/books/{book_id}/approve", json=body)).status_code == 409


async def test_approve_rejects_unknown_fields_and_foreign_candidates(api: httpx.AsyncClient, runtime: Runtime,
                                                                     fakes: Fakes) -> None:  # fmt: skip
    book_id = await looked_up(runtime)
    other_id = await looked_up(runtime, "Another")
    other = by_source((await api.get(f"/api/books/{other_id}/candidates")).json())["hardcover"]["id"]
    cases = [
        {"selections": {"colour": other}},
        {"selections": {"title": other}},
        {"selections": {"title": str(uuid.uuid4())}},
        {"overrides": {"author": "Someone"}},
        {"overrides": {"isbn13": "9780441478126"}},
        {"overrides": {"title": ""}},
        {"overrides": {"cover": "x"}},
        {"sideways": True},
        [],
    ]
    for body in cases:
        response = await api.post(f"/api/books/{book_id}/approve", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    assert (await reload(runtime, book_id)).status == "review"  # nothing half-applied
    assert (await api.post(f"/api/books/{uuid.uuid4()}/approve", json={})).status_code == 404
    assert (await api.post("/api/books/not-a-uuid/approve", json={})).status_code == 400
    assert (await api.get(f"/api/books/{book_id}/candidates/{other}/cover")).status_code == 404


async def test_library_routes_are_404_for_inbox_books(api: httpx.AsyncClient, runtime: Runtime,
                                                      fakes: Fakes) -> None:  # fmt: skip
    book = await add_book(runtime, "Still in review", [AUTHOR])
    for method, path, kwargs in [
        ("PATCH", f"/api/library/{book.id}", {"json": {"title": "x"}}),
        ("POST", f"/api/library/{book.id}/refetch", {}),
        ("POST", f"/api/library/{book.id}/apply-metadata", {"json": {}}),
        ("POST", f"/api/library/{book.id}/reorganize", {}),
        ("PUT", f"/api/library/{book.id}/cover", {"content": make_jpeg()}),
    ]:
        response = await api.request(method, path, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    assert (await api.get(f"/api/books/{book.id}/candidates")).status_code == 200  # /api/books takes any status


async def organized(api: httpx.AsyncClient, rt: Runtime, title: str = "Dune", **kwargs: object) -> str:
    book = await add_book(rt, title, ["Frank Herbert"], **kwargs)  # type: ignore[arg-type]
    response = await api.post(f"/api/books/{book.id}/approve", json={})
    assert response.status_code == 200, response.text
    await rt.jobs.drain()
    return book.id


async def test_patch_edits_fields_and_reorganizes_only_for_file_fields(api: httpx.AsyncClient, runtime: Runtime,
                                                                       fakes: Fakes) -> None:  # fmt: skip
    book_id = await organized(api, runtime)
    for body in ({"author": "x"}, {"title": ""}, {"isbn13": "123"}, {"publishedYear": "1965"}, {"nope": 1}, {}):
        assert (await api.patch(f"/api/library/{book_id}", json=body)).status_code == 400, body

    tags = await api.patch(f"/api/library/{book_id}", json={"tags": ["favourite"]})
    assert tags.status_code == 200 and tags.json()["jobId"] is None
    assert tags.json()["book"]["tags"] == ["favourite"]

    renamed = await api.patch(f"/api/library/{book_id}", json={"title": "Dune Messiah", "isbn13": "978-0-441-17269-6",
                                                              "genres": ["Science Fiction"]})  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["jobId"] and renamed.json()["book"]["isbn13"] == "9780441172696"
    await runtime.jobs.drain()
    file = (await reload(runtime, book_id)).files[0]
    assert file.path == "Frank Herbert/Dune Messiah/Frank Herbert - Dune Messiah.epub"
    assert not (runtime.settings.library_dir / "Frank Herbert/Dune").exists()
    assert read_book(disk_path(runtime, file)).title == "Dune Messiah"


async def test_apply_metadata_and_refetch_on_a_library_book(api: httpx.AsyncClient, runtime: Runtime,
                                                            fakes: Fakes) -> None:  # fmt: skip
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN)
    assert (await api.post(f"/api/books/{book.id}/approve", json={})).status_code == 200
    await runtime.jobs.drain()
    asked = fakes.request_count()
    refetch = await api.post(f"/api/library/{book.id}/refetch")
    assert refetch.status_code == 202 and refetch.json()["bookId"] == book.id
    await runtime.jobs.drain()
    assert (await job_state(runtime, refetch.json()["jobId"])).state == "completed"
    assert fakes.request_count() > asked  # refetch bypasses the cache
    page = (await api.get(f"/api/books/{book.id}/candidates")).json()
    assert page["book"]["status"] == "organized"
    hardcover = by_source(page)["hardcover"]

    applied = await api.post(f"/api/library/{book.id}/apply-metadata",
                             json={"selections": {"description": hardcover["id"], "series": hardcover["id"],
                                                  "seriesIndex": hardcover["id"]}})  # fmt: skip
    assert applied.status_code == 200, applied.text
    assert applied.json()["book"]["description"] == "Hardcover's description."
    merge = await api.post(f"/api/library/{book.id}/apply-metadata", json={"mergeInto": str(uuid.uuid4())})
    assert merge.status_code == 400
    await runtime.jobs.drain()
    parsed = read_book(disk_path(runtime, (await reload(runtime, book.id)).files[0]))
    assert (parsed.description, parsed.series, parsed.series_index) == ("Hardcover's description.", "Hainish Cycle",
                                                                        4.0)  # fmt: skip


async def test_cover_upload_and_candidate_cover(api: httpx.AsyncClient, runtime: Runtime, fakes: Fakes) -> None:
    book = await add_book(runtime, TITLE, [AUTHOR], isbn=ISBN, cover=False)
    await runtime.metadata.lookup(book.id)
    await api.post(f"/api/books/{book.id}/approve", json={})
    await runtime.jobs.drain()
    url = f"/api/library/{book.id}/cover"

    assert (await api.put(url, content=b"not an image", headers={"content-type": "image/png"})).status_code == 400
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024)
    assert (await api.put(url, content=big, headers={"content-type": "image/png"})).status_code == 413
    assert (await api.put(url, json={"candidateId": "nope"})).status_code == 400

    uploaded = await api.put(url, content=make_png(200, 300), headers={"content-type": "image/png"})
    assert uploaded.status_code == 200, uploaded.text
    first = uploaded.json()["book"]["coverUrl"]
    assert first and uploaded.json()["jobId"]
    await runtime.jobs.drain()
    sha = (await reload(runtime, book.id)).cover_sha256
    assert sha and (runtime.settings.covers_dir / sha[:2] / f"{sha}.thumb.jpg").is_file()
    assert read_book(disk_path(runtime, (await reload(runtime, book.id)).files[0])).cover

    ol = by_source((await api.get(f"/api/books/{book.id}/candidates")).json())["openlibrary"]
    chosen = await api.put(url, json={"candidateId": ol["id"]})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["book"]["coverUrl"] != first


async def test_reorganize_one_and_all(api: httpx.AsyncClient, runtime: Runtime, fakes: Fakes) -> None:
    ids = [await organized(api, runtime, f"Book {n}") for n in range(3)]
    one = await api.post(f"/api/library/{ids[0]}/reorganize")
    assert one.status_code == 202 and one.json()["bookId"] == ids[0]
    await api.patch("/api/settings", json={"organizeTemplate": "{author}/{year}/{title}"})
    everything = await api.post("/api/library/reorganize")
    assert everything.status_code == 202
    await runtime.jobs.drain()
    job = await job_state(runtime, everything.json()["jobId"])
    assert job.state == "completed" and job.progress == 1.0
    assert (await reload(runtime, ids[1])).files[0].path == "Frank Herbert/Book 1/Frank Herbert - Book 1.epub"


async def test_merge_into_moves_files_to_the_library_book(api: httpx.AsyncClient, runtime: Runtime,
                                                          fakes: Fakes) -> None:  # fmt: skip
    keeper = await organized(api, runtime, "Dune")
    duplicate = await add_book(runtime, "Dune", ["Frank Herbert"], fmt="pdf", cover=False)
    assert (await api.post(f"/api/books/{duplicate.id}/approve",
                           json={"mergeInto": duplicate.id})).status_code == 400  # fmt: skip
    response = await api.post(f"/api/books/{duplicate.id}/approve", json={"mergeInto": keeper})
    assert response.status_code == 200, response.text
    assert response.json()["book"]["id"] == keeper
    await runtime.jobs.drain()
    book = await reload(runtime, keeper)
    assert sorted(f.path for f in book.files) == ["Frank Herbert/Dune/Frank Herbert - Dune.epub",
                                                  "Frank Herbert/Dune/Frank Herbert - Dune.pdf"]  # fmt: skip
    assert (await api.get(f"/api/books/{duplicate.id}/candidates")).status_code == 404


async def test_uploaded_file_to_organized_library_book(api: httpx.AsyncClient, runtime: Runtime, fakes: Fakes,
                                                       tmp_path) -> None:  # fmt: skip
    from tests.builders import make_epub

    source = make_epub(tmp_path / "lhod.epub", title="Left Hand", authors=[AUTHOR], isbn=ISBN, cover=make_jpeg())
    upload = await api.post("/api/inbox/upload", files={"file": ("lhod.epub", source.read_bytes())})
    assert upload.status_code == 201, upload.text
    book_id = upload.json()["uploaded"][0]["bookId"]
    await runtime.jobs.drain()  # parse, then the metadata lookup against the fakes

    page = (await api.get(f"/api/books/{book_id}/candidates")).json()
    assert page["book"]["status"] == "review"
    found = by_source(page)
    assert found["file"]["title"] == "Left Hand"
    body = {"selections": {"title": found["hardcover"]["id"], "description": found["openlibrary"]["id"],
                           "genres": found["hardcover"]["id"]},
            "overrides": {"series": "Hainish Cycle", "seriesIndex": 4}}  # fmt: skip
    approved = await api.post(f"/api/books/{book_id}/approve", json=body)
    assert approved.status_code == 200, approved.text
    await runtime.jobs.drain()

    path = runtime.settings.library_dir / AUTHOR / TITLE / f"{AUTHOR} - {TITLE}.epub"
    parsed = read_book(path)
    assert (parsed.title, parsed.authors) == (TITLE, [AUTHOR])
    assert parsed.description == "Open Library's description."
    assert (parsed.series, parsed.series_index) == ("Hainish Cycle", 4.0)
    assert parsed.genres == ["Science Fiction"]
    assert list(runtime.settings.incoming_dir.rglob("*.epub")) == []
