"""Book downloads: media types, RFC 6266 names, byte ranges, and paths that must never leave the library."""

from __future__ import annotations

import os
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookshelf.db import books as book_rows
from bookshelf.runtime import Runtime
from bookshelf.web.download import CHUNK, cached_read, content_disposition, parse_range
from tests.library_books import add_book

CONTENT = bytes(range(256)) * 40  # 10,240 bytes whose every offset is recognisable


@pytest.fixture
async def book(runtime: Runtime):
    return await add_book(runtime, "Cien años de soledad", ["Gabriel García Márquez"], formats=("epub", "pdf", "cbz"),
                          file_bytes=CONTENT)  # fmt: skip


def _url(book, index: int = 0) -> str:
    return f"/api/library/{book.id}/download/{book.files[index].id}"


async def test_whole_file_with_type_and_names(book, api: httpx.AsyncClient) -> None:
    response = await api.get(_url(book))
    assert response.status_code == 200 and response.content == CONTENT
    assert response.headers["content-type"] == "application/epub+zip"
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["accept-ranges"] == "bytes"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Gabriel Garcia Marquez - Cien anos de soledad.epub"')
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "Gabriel García Márquez - Cien años de soledad.epub"
    assert (await api.get(_url(book, 1))).headers["content-type"] == "application/pdf"
    assert (await api.get(_url(book, 2))).headers["content-type"] == "application/vnd.comicbook+zip"


@pytest.mark.parametrize(
    "header,start,end",
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 10_239),
        ("bytes=-50", 10_190, 10_239),
        ("bytes=10000-99999", 10_000, 10_239),
    ],
)
async def test_ranges(book, api: httpx.AsyncClient, header: str, start: int, end: int) -> None:
    response = await api.get(_url(book), headers={"Range": header})
    assert response.status_code == 206
    assert response.content == CONTENT[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.headers["content-length"] == str(end - start + 1)


async def test_unsatisfiable_and_ignored_ranges(book, api: httpx.AsyncClient) -> None:
    response = await api.get(_url(book), headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"
    assert response.json()["error"]["message"]
    for ignored in ("bytes=5-1", "items=0-5", "bytes=0-1,4-5", "nonsense"):
        whole = await api.get(_url(book), headers={"Range": ignored})
        assert whole.status_code == 200 and whole.content == CONTENT, ignored
    stale = await api.get(_url(book), headers={"Range": "bytes=0-9", "If-Range": '"not-this-one"'})
    assert stale.status_code == 200 and stale.content == CONTENT


async def test_etag_and_head(book, api: httpx.AsyncClient) -> None:
    first = await api.get(_url(book))
    cached = await api.get(_url(book), headers={"If-None-Match": first.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    head = await api.head(_url(book))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(CONTENT))
    ranged = await api.get(_url(book), headers={"Range": "bytes=1-2", "If-Range": first.headers["etag"]})
    assert ranged.status_code == 206 and ranged.content == CONTENT[1:3]


async def test_file_of_another_book_or_unknown_is_404(book, runtime: Runtime, api: httpx.AsyncClient) -> None:
    other = await add_book(runtime, "Other", ["Someone"])
    assert (await api.get(f"/api/library/{other.id}/download/{book.files[0].id}")).status_code == 404
    assert (await api.get(f"/api/library/{book.id}/download/{other.files[0].id}")).status_code == 404
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await api.get(f"/api/library/{book.id}/download/{unknown}")).status_code == 404
    assert (await api.get(f"/api/library/{book.id}/download/nope")).status_code == 400
    review = await add_book(runtime, "In review", ["X"], status="review")
    assert (await api.get(f"/api/library/{review.id}/download/{review.files[0].id}")).status_code == 404


async def _repoint(runtime: Runtime, file, path: str) -> None:
    file.path = path
    async with runtime.db.write() as conn:
        await book_rows.update_file(conn, file, "2026-01-01T00:00:00Z")


async def test_paths_outside_the_library_are_404(book, runtime: Runtime, api: httpx.AsyncClient, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    file = book.files[0]
    for hostile in ("../../etc/passwd", "../secret.txt", "/etc/passwd", str(secret)):
        await _repoint(runtime, file, hostile)
        response = await api.get(_url(book))
        assert response.status_code == 404, hostile
        assert b"root:" not in response.content and b"do not serve" not in response.content

    planted = runtime.settings.library_dir / "planted.epub"
    os.symlink(secret, planted)
    await _repoint(runtime, file, "planted.epub")
    response = await api.get(_url(book))
    assert response.status_code == 404 and b"do not serve" not in response.content

    folder_link = runtime.settings.library_dir / "escape"
    os.symlink(tmp_path, folder_link)
    await _repoint(runtime, file, "escape/secret.txt")
    assert (await api.get(_url(book))).status_code == 404


async def test_missing_file_is_404(book, runtime: Runtime, api: httpx.AsyncClient) -> None:
    (runtime.settings.library_dir / book.files[0].path).unlink()
    response = await api.get(_url(book))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_content_disposition_edge_cases() -> None:
    assert content_disposition("plain.epub") == "attachment; filename=\"plain.epub\"; filename*=UTF-8''plain.epub"
    hostile = content_disposition('../../evil "name";\r\nX-Injected: 1.epub')
    assert "\r" not in hostile and "\n" not in hostile and "../" not in hostile
    assert hostile.count('"') == 2
    assert 'filename="' in content_disposition("日本語.epub")  # an ASCII fallback always exists


def test_parse_range_edge_cases() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=-100", 10) == (0, 9)
    assert parse_range("bytes=-", 10) is None
    assert parse_range("bytes=9-", 10) == (9, 9)


@pytest.mark.parametrize("header", ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000])
async def test_absurdly_long_range_numbers_are_not_a_500(book, api: httpx.AsyncClient, header: str) -> None:
    # Python refuses int() of more than 4,300 digits; such a range must still get a clean answer.
    response = await api.get(_url(book), headers={"Range": header})
    assert response.status_code in (200, 206, 416), response.text
    if response.status_code == 416:
        assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"


async def test_a_file_of_several_chunks_arrives_whole_and_by_range(runtime: Runtime, api: httpx.AsyncClient) -> None:
    """Bodies go out 64 KiB at a time, from the page cache on the loop or from a thread: every
    byte lands where it belongs, across chunk boundaries and in a range that starts mid-chunk."""
    content = bytes((i * 7 + i // 251) % 256 for i in range(3 * CHUNK + 1234))
    made = await add_book(runtime, "Большая книга", ["Автор"], formats=("epub",), file_bytes=content)
    url = f"/api/library/{made.id}/download/{made.files[0].id}"
    whole = await api.get(url)
    assert whole.status_code == 200 and whole.content == content
    for start, end in ((CHUNK - 3, CHUNK + 3), (1, 3 * CHUNK), (2 * CHUNK + 5, len(content) - 1)):
        part = await api.get(url, headers={"Range": f"bytes={start}-{end}"})
        assert part.status_code == 206 and part.content == content[start : end + 1], (start, end)


def test_a_cached_read_is_the_bytes_at_its_offset(tmp_path) -> None:
    path = tmp_path / "cached.bin"
    path.write_bytes(CONTENT)
    with open(path, "rb") as handle:
        # None is allowed (a system or filesystem without RWF_NOWAIT); wrong bytes never are.
        assert cached_read(handle.fileno(), 100, 5000) in (None, CONTENT[5000:5100])
        assert cached_read(handle.fileno(), 100, len(CONTENT) - 40) in (None, CONTENT[-40:])
        assert cached_read(handle.fileno(), 100, len(CONTENT)) is None  # at the end: the thread path says so


_CHUNKED_CONTENT = bytes((i * 13 + i // 509) % 256 for i in range(2 * CHUNK + 777))
_NEAR_BOUNDARIES = st.sampled_from([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, len(_CHUNKED_CONTENT) - 1])


@pytest.mark.anyio  # @given hides the coroutine from conftest's automatic marker
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_any_range_of_a_file_of_several_chunks_is_its_bytes(runtime: Runtime, api: httpx.AsyncClient,
                                                                  data: st.DataObject) -> None:  # fmt: skip
    """Every satisfiable range, whatever chunk boundaries it starts, ends or spans, is exactly
    those bytes (the body is read 64 KiB at a time, at moving offsets)."""
    content = _CHUNKED_CONTENT
    made = await add_book(runtime, "Ranges", ["Автор"], formats=("epub",), file_bytes=content)
    url = f"/api/library/{made.id}/download/{made.files[0].id}"
    start = data.draw(_NEAR_BOUNDARIES | st.integers(0, len(content) - 1), label="start")
    end = data.draw(st.integers(start, len(content) + CHUNK), label="end")
    part = await api.get(url, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206
    assert part.content == content[start : min(end, len(content) - 1) + 1]
