"""Every file and cover route (API and OPDS) refuses paths that leave their folder, and never sends outside bytes.

tests/test_library_download.py covers hostile database paths on the API download route; this
adds hostile URLs on every route, the OPDS download, and symlinks planted next to files and covers.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from bookshelf.db import books as book_rows
from bookshelf.runtime import Runtime
from bookshelf.settings import Settings
from tests.builders import make_jpeg, make_png
from tests.conftest import make_settings
from tests.opds.helpers import PASSWORD, USER, Made, add_book

SECRET = b"OUTSIDE-BYTES root:x:0:0"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, opds_username=USER, opds_password=PASSWORD)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.epub"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    return secret


@pytest.fixture
async def made(runtime: Runtime) -> Made:
    return await add_book(runtime, "Guarded", ["Keeper"], formats=("epub",), cover=make_png())


def routes(made: Made) -> list[tuple[str, str]]:
    book, file = made.book, made.book.files[0]
    return [("api", f"/api/library/{book.id}/download/{file.id}"), ("api", f"/api/library/{book.id}/cover"),
            ("api", f"/api/library/{book.id}/cover?size=thumb"), ("api", f"/api/books/{book.id}/cover"),
            ("opds", f"/opds/books/{book.id}/download/{file.id}"), ("opds", f"/opds/books/{book.id}/cover"),
            ("opds", f"/opds/books/{book.id}/thumbnail")]  # fmt: skip


async def get(client: httpx.AsyncClient, api_key: str, surface: str, url: str) -> httpx.Response:
    if surface == "opds":
        return await client.get(url, auth=httpx.BasicAuth(USER, PASSWORD))
    return await client.get(url, headers={"Authorization": f"Bearer {api_key}"})


async def test_every_route_serves_the_real_files(made: Made, client: httpx.AsyncClient, api_key: str) -> None:
    # The baseline the refusals below are measured against: the same routes do work.
    for surface, url in routes(made):
        response = await get(client, api_key, surface, url)
        assert response.status_code in (200, 404), (url, response.status_code)  # /api/books/{id}/cover may not exist
        if "download" in url:
            assert response.status_code == 200 and response.content == made.paths[made.book.files[0].id].read_bytes()


@pytest.mark.parametrize(
    "tail",
    # (a bare ".." is resolved by the client before sending, so only encoded forms reach the server)
    ["..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2e%2e",
     "%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%00", "secret.epub%00.epub"],
)  # fmt: skip
async def test_hostile_file_ids_in_urls(made: Made, client: httpx.AsyncClient, api_key: str, tail: str) -> None:
    book = made.book
    for surface, url in (("api", f"/api/library/{book.id}/download/{tail}"),
                         ("opds", f"/opds/books/{book.id}/download/{tail}"),
                         ("api", f"/api/library/{tail}/cover"), ("opds", f"/opds/books/{tail}/cover")):  # fmt: skip
        response = await get(client, api_key, surface, url)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert b"root:" not in response.content


@pytest.mark.parametrize("hostile", ["../../outside/secret.epub", "../outside/secret.epub", "ABSOLUTE", "LINK",
                                     "DIRLINK"])  # fmt: skip
async def test_hostile_stored_paths_on_both_surfaces(made: Made, runtime: Runtime, client: httpx.AsyncClient,
                                                     api_key: str, outside: Path, hostile: str) -> None:  # fmt: skip
    library = runtime.settings.library_dir
    if hostile == "ABSOLUTE":
        hostile = str(outside)
    elif hostile == "LINK":  # a symlink planted in the library folder, pointing outside
        os.symlink(outside, library / "planted.epub")
        hostile = "planted.epub"
    elif hostile == "DIRLINK":
        os.symlink(outside.parent, library / "escape")
        hostile = "escape/secret.epub"
    file = made.book.files[0]
    file.path = hostile
    async with runtime.db.write() as conn:
        await book_rows.update_file(conn, file, "2026-01-01T00:00:00Z")
    for surface, url in routes(made):
        if "download" not in url:
            continue
        response = await get(client, api_key, surface, url)
        assert response.status_code == 404, (url, hostile)
        assert SECRET not in response.content


async def test_cover_symlinked_outside_is_not_served(made: Made, runtime: Runtime, client: httpx.AsyncClient,
                                                     api_key: str, outside: Path) -> None:  # fmt: skip
    sha = made.book.cover_sha256
    assert sha
    folder = runtime.settings.covers_dir / sha[:2]
    for name in (f"{sha}.jpg", f"{sha}.thumb.jpg"):
        (folder / name).unlink(missing_ok=True)
        os.symlink(outside, folder / name)
    for surface, url in routes(made):
        if "download" in url:
            continue
        response = await get(client, api_key, surface, url)
        assert response.status_code == 404, url
        assert SECRET not in response.content


async def test_symlink_into_the_inbox_is_never_taken(runtime: Runtime, outside: Path) -> None:
    # The watcher takes regular files only; ingest refuses to move a link (it could point anywhere).
    from bookshelf.services.ingest.pipeline import Unsupported

    link = runtime.settings.inbox_dir / "link.epub"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, link)
    with pytest.raises(Unsupported):
        await runtime.ingest.accept(link)
    assert outside.read_bytes() == SECRET and link.is_symlink()
    assert make_jpeg()  # builders import stays meaningful for the cover fixtures


def test_inside_takes_the_quick_path_only_when_nothing_can_be_followed(tmp_path: Path) -> None:
    from bookshelf.errors import NotFound
    from bookshelf.services.storage.files import inside

    base = tmp_path / "library"
    (base / "Author" / "Title").mkdir(parents=True)
    (base / "Author" / "Title" / "book.epub").write_bytes(b"x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.epub").write_bytes(b"s")
    assert inside(base, "Author/Title/book.epub") == (base / "Author/Title/book.epub").resolve()
    assert inside(base, "Author/New/not-yet.epub") == base.resolve() / "Author/New/not-yet.epub"
    (base / "Author" / "link").symlink_to(outside, target_is_directory=True)
    (base / "Author" / "Title" / "file-link.epub").symlink_to(outside / "secret.epub")
    for escaping in ("Author/link/secret.epub", "Author/Title/file-link.epub", "../outside/secret.epub",
                     "/etc/passwd", "Author/../../outside/secret.epub"):  # fmt: skip
        with pytest.raises(NotFound):
            inside(base, escaping)
    assert inside(base, "Author/Title/../Title/book.epub") == (base / "Author/Title/book.epub").resolve()
