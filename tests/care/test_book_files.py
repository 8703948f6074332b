"""Files of a book: add one (checked like an upload, organized beside its siblings), trash one, never the last."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.builders import make_pdf
from tests.library_books import add_book
from tests.seed import disk_path, reload


async def post_file(api: httpx.AsyncClient, book_id: str, name: str, data: bytes) -> httpx.Response:
    return await api.post(f"/api/library/{book_id}/files", files={"file": (name, data, "application/octet-stream")})


async def test_add_a_pdf_to_an_epub_book_then_trash_it_and_restore_it(api: httpx.AsyncClient, runtime: Runtime,
                                                                       tmp_path: Path) -> None:  # fmt: skip
    book = await add_book(runtime, "Lilith's Brood", ["Octavia E. Butler"])
    await runtime.organizer.organize_book(book.id)
    pdf = make_pdf(tmp_path / "x.pdf", title="Lilith's Brood").read_bytes()

    response = await post_file(api, book.id, "../../evil name.pdf", pdf)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["file"]["format"] == "pdf" and body["jobId"]
    assert sorted(f["format"] for f in body["book"]["files"]) == ["epub", "pdf"]
    await runtime.organizer.organize_book(book.id)  # what the queued job does
    files = {f.format: f for f in (await reload(runtime, book.id)).files}
    assert files["pdf"].root == "library"
    assert Path(files["pdf"].path).parent == Path(files["epub"].path).parent  # beside its sibling
    assert disk_path(runtime, files["pdf"]).read_bytes() == pdf
    assert not any((runtime.settings.incoming_dir / book.id).glob("*"))

    duplicate = await post_file(api, book.id, "again.pdf", pdf)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"][0]["bookId"] == book.id
    assert (await post_file(api, book.id, "notes.pdf", b"just some text, not a book")).status_code == 400
    assert list(runtime.settings.tmp_dir.iterdir()) == []  # nothing left behind

    response = await api.delete(f"/api/library/{book.id}/files/{files['pdf'].id}")
    assert response.status_code == 200, response.text
    assert not disk_path(runtime, files["pdf"]).exists()
    assert [f.format for f in (await reload(runtime, book.id)).files] == ["epub"]
    last = await api.delete(f"/api/library/{book.id}/files/{files['epub'].id}")
    assert last.status_code == 409
    assert disk_path(runtime, files["epub"]).exists()

    entry = (await api.get("/api/trash")).json()["data"][0]
    assert entry["kind"] == "file" and entry["bookId"] == book.id and entry["files"][0]["format"] == "pdf"
    assert (await api.post(f"/api/trash/{entry['id']}/restore")).status_code == 200
    back = {f.format: f for f in (await reload(runtime, book.id)).files}
    assert hashlib.sha256(disk_path(runtime, back["pdf"]).read_bytes()).hexdigest() == files["pdf"].sha256


async def test_files_of_unknown_or_inbox_books_are_404(api: httpx.AsyncClient, runtime: Runtime,
                                                        tmp_path: Path) -> None:  # fmt: skip
    inbox_book = await add_book(runtime, "In Review", ["X"], status="review")
    pdf = make_pdf(tmp_path / "y.pdf").read_bytes()
    assert (await post_file(api, inbox_book.id, "y.pdf", pdf)).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await api.delete(f"/api/library/{inbox_book.id}/files/{missing}")).status_code == 404
    assert (await api.delete(f"/api/library/{inbox_book.id}/files/nope")).status_code == 400
    assert list((runtime.settings.incoming_dir).rglob("y.pdf")) == []
