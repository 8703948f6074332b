"""Generated names driven through upload -> review -> approve -> organize -> download -> trash -> restore."""

from __future__ import annotations

import hashlib
import itertools
import os
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bookshelf.runtime import Runtime
from bookshelf.services.names.disk import safe_name
from bookshelf.web.app import create_app
from tests.builders import make_epub
from tests.conftest import make_settings
from tests.names.strategies import any_name, spelt
from tests.names.test_pieces import ASCII_SAFE, FORMS, _can, encode_part_header

_serial = itertools.count()


@pytest.fixture
async def shelf(tmp_path: Path) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    settings = make_settings(tmp_path)
    rt = await Runtime.open(settings, background=False, inline_jobs=True)
    transport = httpx.ASGITransport(app=create_app(settings, rt), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        key = (await http.post("/api/auth/setup", json={"label": "names"})).json()["key"]
        http.headers["Authorization"] = f"Bearer {key}"
        assert (await http.patch("/api/settings", json={"metadataSources": []})).status_code == 200
        body = {"username": "reader", "password": "secret"}
        assert (await http.put("/api/credentials/opds", json=body)).status_code == 200
        yield rt, http
    await rt.close()


def _multipart(name: str, form: str, data: bytes) -> tuple[bytes, str]:
    boundary = "names-boundary-7f3a"
    part = (f"--{boundary}\r\n".encode() + b"Content-Disposition: " + encode_part_header(name, form) + b"\r\n"
            b"Content-Type: application/epub+zip\r\n\r\n" + data + f"\r\n--{boundary}--\r\n".encode())  # fmt: skip
    return part, f"multipart/form-data; boundary={boundary}"


def _names(disposition: str) -> tuple[str, str]:
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    extended = unquote(disposition.split("filename*=UTF-8''", 1)[1], errors="strict")
    return plain, extended


EXAMPLES = int(os.environ.get("NAMES_EXAMPLES", "200"))


@pytest.mark.anyio
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(upload=any_name, title=spelt(), author=spelt(), form=st.sampled_from(FORMS))
@example(upload="", title="Nameless", author="Nobody", form="raw-utf8")  # nothing usable: the rule's fallback
@example(upload="\x00\x1f", title="Controls", author="Nobody", form="rfc5987")
async def test_a_name_survives_every_step(shelf: tuple[Runtime, httpx.AsyncClient], upload: str, title: str,
                                          author: str, form: str) -> None:  # fmt: skip
    rt, api = shelf
    upload_name = upload + ".epub"
    if not _can(upload_name, form) or len(encode_part_header(upload_name, form)) > 3500:
        # (python-multipart refuses part headers over 4 KB: percent-encoding a long name triples it)
        form = "raw-utf8" if _can(upload_name, "raw-utf8") else "rfc5987"
    serial = next(_serial)
    epub = make_epub(rt.settings.tmp_dir / f"src-{serial}.epub", title=title, authors=[author],
                     isbn=None, description=f"copy {serial}")  # fmt: skip
    data = epub.read_bytes()
    epub.unlink()
    body, content_type = _multipart(upload_name, form, data)

    # upload: the name decoded from whichever form the client used, cleaned by the one rule
    response = await api.post("/api/inbox/upload", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text
    [taken] = response.json()["uploaded"]
    expected = safe_name(upload_name)
    assert taken["filename"] == expected and expected.endswith(".epub")
    assert taken["filename"] == unicodedata.normalize("NFC", taken["filename"])
    book_id = taken["bookId"]
    await rt.jobs.drain()

    # review: the same name, the same bytes on disk
    review = (await api.get(f"/api/inbox/{book_id}")).json()
    assert review["status"] == "review", review
    [file] = review["files"]
    assert file["filename"] == expected
    stored = rt.settings.incoming_dir / book_id / expected
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()

    # approve -> organize: a library name within 255 bytes, extension kept
    assert (await api.post(f"/api/books/{book_id}/approve", json={})).status_code == 200
    await rt.jobs.drain()
    organized = (await api.get(f"/api/library/{book_id}")).json()
    [file] = organized["files"]
    assert file["filename"].endswith(".epub") and len(file["filename"].encode()) <= 255
    on_disk = (rt.settings.library_dir / file["path"]).read_bytes() if "path" in file else None
    await _download_and_check(api, book_id, file, on_disk)

    # trash -> restore: back under a readable name with the same bytes
    assert (await api.delete(f"/api/books/{book_id}")).status_code in (200, 202, 204)
    entry = next(e for e in (await api.get("/api/trash", params={"limit": 100})).json()["data"]
                 if e["bookId"] == book_id)  # fmt: skip
    assert (await api.post(f"/api/trash/{entry['id']}/restore")).status_code == 200
    await rt.jobs.drain()
    [back] = (await api.get(f"/api/library/{book_id}")).json()["files"]
    assert back["filename"].endswith(".epub")
    await _download_and_check(api, book_id, back, None)


_SERVED: dict[str, str] = {}  # casefolded ASCII name -> the book that has it


async def _download_and_check(api: httpx.AsyncClient, book_id: str, file: dict, on_disk: bytes | None) -> None:
    got = await api.get(f"/api/library/{book_id}/download/{file['id']}")
    assert got.status_code == 200
    if on_disk is not None:
        assert got.content == on_disk
    plain, extended = _names(got.headers["content-disposition"])
    assert extended == file["filename"]  # filename* keeps the real name
    assert plain.isascii() and set(plain) <= ASCII_SAFE and plain.endswith(".epub")
    assert plain.removesuffix(".epub").strip(" .-")
    owner = _SERVED.setdefault(plain.casefold(), book_id)
    assert owner == book_id, f"{plain} is sent for two books"  # KOReader would overwrite one with the other
    opds = await api.get(f"/opds/books/{book_id}/download/{file['id']}", auth=("reader", "secret"))
    assert opds.status_code == 200 and opds.content == got.content
    assert _names(opds.headers["content-disposition"])[0] == plain  # the same name on every surface
