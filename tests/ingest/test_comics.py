"""A tagged comic dropped in reaches review with its series, issue and credits kept apart."""

from __future__ import annotations

from pathlib import Path

import httpx

from bookshelf.runtime import Runtime
from tests.builders import comicbookinfo_comment, make_cbr, make_cbz
from tests.formats.test_comic import _need_libarchive
from tests.formats.test_comic_meta import CBI
from tests.ingest.conftest import book_status, wait_for


async def upload_and_review(api: httpx.AsyncClient, rt: Runtime, path: Path) -> dict[str, object]:
    response = await api.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 201, response.text
    book_id = response.json()["uploaded"][0]["bookId"]

    async def in_review() -> bool:
        return await book_status(rt, book_id) == "review"

    await wait_for(in_review, what="review")
    return (await api.get(f"/api/inbox/{book_id}")).json()


async def test_comicbookinfo_cbz_and_comicinfo_cbr_reach_review(live_api: httpx.AsyncClient, live: Runtime,
                                                                tmp_path: Path) -> None:  # fmt: skip
    cbz = make_cbz(tmp_path / "okami.cbz", pages=2, comment=comicbookinfo_comment(CBI))
    book = await upload_and_review(live_api, live, cbz)
    assert (book["title"], book["series"], book["seriesIndex"]) == ("The Hunt", "Okami no Mori", 1.0)
    assert book["authors"] == ["Yuki Tanaka", "Ken Sato", "Mei Ito"]
    assert {"name": "Ai Ono", "role": "inker"} in book["contributors"]
    assert all(c["name"] not in book["authors"] for c in book["contributors"])

    _need_libarchive()
    info = {"Series": "Okami no Mori", "Number": "2", "Writer": "Yuki Tanaka", "Colorist": "Rin Kato"}
    book = await upload_and_review(live_api, live, make_cbr(tmp_path / "okami 2.cbr", pages=2, comicinfo=info))
    assert (book["title"], book["seriesIndex"], book["authors"]) == ("Okami no Mori", 2.0, ["Yuki Tanaka"])
    assert book["contributors"] == [{"name": "Rin Kato", "role": "colorist"}]
