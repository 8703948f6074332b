"""Uploads through the real app: streamed to data/tmp, sniffed by content, parsed by the real queue."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.builders import make_epub, make_pdf
from tests.ingest.conftest import book_status, cover_png, wait_for


def epub_bytes(tmp_path: Path, title: str, **kwargs: object) -> bytes:
    return make_epub(tmp_path / f"{title}.epub", title=title, **kwargs).read_bytes()  # type: ignore[arg-type]


async def test_upload_reaches_review_with_file_metadata(live_api: httpx.AsyncClient, live: Runtime,
                                                        tmp_path: Path) -> None:  # fmt: skip
    data = epub_bytes(tmp_path, "The Left Hand of Darkness", authors=["Ursula K. Le Guin"], cover=cover_png(),
                      isbn="9780441478125", series="Hainish Cycle", series_index=4.0)  # fmt: skip
    response = await live_api.post("/api/inbox/upload", files={"file": ("Le Guin.epub", data, "application/epub+zip")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rejected"] == [] and body["duplicates"] == []
    [uploaded] = body["uploaded"]
    book_id = uploaded["bookId"]
    assert uploaded["filename"] == "Le Guin.epub"

    await wait_for(lambda: _in(live, book_id, "review"), what="review")
    book = (await live_api.get(f"/api/inbox/{book_id}")).json()
    assert book["title"] == "The Left Hand of Darkness"
    assert book["authors"] == ["Ursula K. Le Guin"] and book["author"] == "Ursula K. Le Guin"
    assert book["isbn13"] == "9780441478125" and book["series"] == "Hainish Cycle" and book["seriesIndex"] == 4.0
    assert book["hasCover"] and book["coverUrl"].startswith(f"/api/inbox/{book_id}/cover?v=")
    [file] = book["files"]
    assert file["format"] == "epub" and file["size"] == len(data) and len(file["koreaderHash"]) == 32
    [candidate] = book["candidates"]
    assert candidate["source"] == "file" and candidate["score"] == 1.0
    assert candidate["title"] == "The Left Hand of Darkness" and candidate["isbn13"] == "9780441478125"

    # Stored under data/incoming/<bookId>/, hashes recorded, nothing left in data/tmp.
    stored = live.settings.incoming_dir / book_id / "Le Guin.epub"
    assert stored.read_bytes() == data
    assert list(live.settings.tmp_dir.iterdir()) == []
    kinds = await live.db.fetchall(
        "SELECT kind, value FROM file_hashes h JOIN files f ON f.id = h.file_id WHERE f.book_id = ?", (book_id,)
    )
    values = {(row[0], row[1]) for row in kinds}
    assert ("sha256", hashlib.sha256(data).hexdigest()) in values
    assert ("filename", hashlib.md5(b"Le Guin.epub").hexdigest()) in values
    assert ("koreader", file["koreaderHash"]) in values

    author_sort = await live.db.fetchone("SELECT author_sort FROM books WHERE id = ?", (book_id,))
    assert author_sort[0] == "le guin, ursula k."

    cover = await live_api.get(book["coverUrl"])
    assert cover.status_code == 200 and cover.headers["content-type"] in ("image/png", "image/jpeg")
    assert (await live_api.get(book["coverUrl"], headers={"If-None-Match": cover.headers["etag"]})).status_code == 304
    thumb = await live_api.get(f"/api/inbox/{book_id}/cover?size=thumb")
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"


async def _in(rt: Runtime, book_id: str, status: str) -> bool:
    return await book_status(rt, book_id) == status


async def test_format_is_sniffed_not_taken_from_the_name(live_api: httpx.AsyncClient, tmp_path: Path) -> None:
    epub = epub_bytes(tmp_path, "Named Wrong")
    pdf = make_pdf(tmp_path / "real.pdf").read_bytes()
    response = await live_api.post(
        "/api/inbox/upload",
        files=[("file", ("really-an-epub.pdf", epub)), ("file", ("notes.epub", b"just some text, not a book"))],
    )
    assert response.status_code == 201
    body = response.json()
    assert [u["filename"] for u in body["uploaded"]] == ["really-an-epub.pdf"]
    [rejected] = body["rejected"]
    assert rejected["filename"] == "notes.epub" and rejected["reason"] == "unsupported_format"
    book = (await live_api.get(f"/api/inbox/{body['uploaded'][0]['bookId']}")).json()
    assert book["files"][0]["format"] == "epub"
    # A real PDF alone is taken as a PDF.
    response = await live_api.post("/api/inbox/upload", files={"file": ("x.bin", pdf)})
    assert response.status_code == 201


async def test_all_rejected_is_400_and_nothing_is_kept(live_api: httpx.AsyncClient, live: Runtime) -> None:
    response = await live_api.post(
        "/api/inbox/upload", files=[("file", ("a.txt", b"hello")), ("file", ("b.jpg", b"\xff\xd8\xff\xe0junk"))]
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert {d["filename"] for d in response.json()["error"]["details"]} == {"a.txt", "b.jpg"}
    assert list(live.settings.tmp_dir.iterdir()) == []
    assert (await live_api.get("/api/inbox/count")).json()["count"] == 0


async def test_size_limits(live_api: httpx.AsyncClient, live: Runtime, tmp_path: Path) -> None:
    assert (await live_api.patch("/api/settings", json={"maxUploadMb": 1})).status_code == 200
    big = make_epub(tmp_path / "big.epub", title="Big", extra_entries={"OEBPS/blob.bin": os.urandom(1_200_000)})
    small = epub_bytes(tmp_path, "Small")
    big_bytes = big.read_bytes()
    assert len(big_bytes) > 1024 * 1024
    # Only too-large files: 413.
    response = await live_api.post("/api/inbox/upload", files={"file": ("big.epub", big_bytes)})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    # Mixed: the small one is kept, the big one listed as too_large.
    response = await live_api.post("/api/inbox/upload", files=[("file", ("big.epub", big_bytes)),
                                                               ("file", ("small.epub", small))])  # fmt: skip
    assert response.status_code == 201
    assert response.json()["rejected"][0]["reason"] == "too_large"
    assert [u["filename"] for u in response.json()["uploaded"]] == ["small.epub"]
    # A declared body above 50 x the limit is refused before it is read.
    response = await live_api.post(
        "/api/inbox/upload",
        content=b"x",
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(51 * 1024 * 1024)},
    )
    assert response.status_code == 413

    # A chunked body (no Content-Length) is counted as it streams and cut off past the same cap.
    async def endless() -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="huge.epub"\r\n\r\n'
        chunk = b"\0" * (1024 * 1024)
        for _ in range(60):
            yield chunk

    response = await live_api.post(
        "/api/inbox/upload", content=endless(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413
    assert list(live.settings.tmp_dir.iterdir()) == []


async def test_duplicates_are_kept_aside(live_api: httpx.AsyncClient, live: Runtime, tmp_path: Path) -> None:
    data = epub_bytes(tmp_path, "Twice")
    first = await live_api.post("/api/inbox/upload", files={"file": ("twice.epub", data)})
    book_id = first.json()["uploaded"][0]["bookId"]
    again = await live_api.post("/api/inbox/upload", files={"file": ("twice again.epub", data)})
    assert again.status_code == 200
    # The answer names the book it duplicates: its file name until parsed, then the book's title.
    (dup,) = again.json()["duplicates"]
    assert dup in ({"filename": "twice again.epub", "bookId": book_id, "title": t} for t in ("twice", "Twice"))
    kept = live.settings.duplicates_dir / "twice again.epub"
    assert kept.read_bytes() == data
    assert (await live_api.get("/api/inbox/count")).json()["count"] == 1


async def test_hostile_names_stay_in_the_temp_folder(live_api: httpx.AsyncClient, live: Runtime,
                                                     tmp_path: Path) -> None:  # fmt: skip
    names = ["../../../escape.epub", "/etc/passwd.epub", "nul\x00byte.epub", "x" * 300 + ".epub", "..", "C:\\evil.epub"]
    files = [("file", (name, epub_bytes(tmp_path, f"Hostile {i}"))) for i, name in enumerate(names)]
    response = await live_api.post("/api/inbox/upload", files=files)
    assert response.status_code == 201, response.text
    uploaded = response.json()["uploaded"]
    assert len(uploaded) == len(names)
    for item in uploaded:
        assert "/" not in item["filename"] and "\\" not in item["filename"] and "\x00" not in item["filename"]
        assert len(item["filename"].encode()) <= 255  # the filesystem limit, extension kept
        stored = live.settings.incoming_dir / item["bookId"] / item["filename"]
        assert stored.is_file()
    assert not (live.settings.data_dir.parent / "escape.epub").exists()
    assert not any(p.name == "escape.epub" for p in tmp_path.iterdir())


async def test_bad_multipart_is_400(live_api: httpx.AsyncClient) -> None:
    response = await live_api.post("/api/inbox/upload", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 400
    response = await live_api.post("/api/inbox/upload", files={"other": ("a.epub", b"x")})
    assert response.status_code == 400
