"""A user's whole path through the UI in headless Chromium against `bookshelf serve`, with a fake Open Library.

Upload two books, review one picking fields from the file, from Open Library
and typed over, approve both (keyboard and button), find one with a typo,
download it and check the bytes, sync progress from a "device", override the
status, all at desktop and phone widths with zero console errors and no
request to another host. (The README screenshots come from tests/test_ui_browser_audit.py.)
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import make_epub, make_jpeg
from tests.fakes.openlibrary import FakeOpenLibrary
from tests.fakes.server import serve_in_thread
from tests.reading.helpers import koreader_headers
from tests.serve import running_server
from tests.ui_browser import assert_fits, wait_for, watch

LEFT_HAND = "The Left Hand of Darkness"
DISPOSSESSED = "The Dispossessed"
AUTHOR = "Ursula K. Le Guin"
ISBN = "9780441478125"
CATALOGUE = [
    {"title": LEFT_HAND, "authors": [AUTHOR], "isbn13": ISBN, "year": 1969, "pages": 286, "cover_id": 7001,
     "publisher": "Ace Books", "description": "Open Library's description."},
    {"title": DISPOSSESSED, "authors": [AUTHOR], "isbn13": "9780061054884", "year": 1974, "pages": 387,
     "cover_id": 7002, "publisher": "Harper Voyager", "description": "An ambiguous utopia."},
]  # fmt: skip


@pytest.fixture
def catalogue() -> Iterator[str]:
    with serve_in_thread(FakeOpenLibrary.from_books(CATALOGUE).app) as url:
        yield url


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def inbox(self) -> list[dict[str, Any]]:
        return self.get("/api/inbox?limit=100&sort=detected_oldest")["data"]

    def idle(self) -> bool:
        queues = self.get("/api/jobs/status")["queues"]
        return all(q["waiting"] == 0 and q["active"] == 0 for q in queues.values())


def make_books(folder: Path) -> list[Path]:
    folder.mkdir()
    books = [
        (LEFT_HAND, ISBN, "Gollancz", "The file's own description.", (180, 70, 40)),
        ("Another Story", None, "Small Press", "A story with no match anywhere.", (40, 90, 160)),
        (DISPOSSESSED, "9780061054884", "Gollancz", "The file's description.", (60, 130, 80)),
    ]
    paths = []
    for title, isbn, publisher, description, color in books:
        path = folder / f"{title.lower().replace(' ', '-')}.epub"
        make_epub(path, title=title, authors=[AUTHOR if isbn else "Jo Writer"], isbn=isbn, publisher=publisher,
                  description=description, cover=make_jpeg(300, 450, color), body_bytes=4000)  # fmt: skip
        paths.append(path)
    return paths


def sync_progress(base: str, document: str, percentage: float, device: str) -> None:
    body = {"document": document, "progress": "/body/DocFragment[3]", "percentage": percentage,
            "device": device, "device_id": device.upper()}  # fmt: skip
    response = httpx.put(f"{base}/kosync/syncs/progress", json=body, headers=koreader_headers())
    assert response.status_code == 200, response.text


def test_upload_review_approve_search_download_and_progress(browser, catalogue: str, tmp_path: Path) -> None:
    env = {"BOOKSHELF_OPENLIBRARY_URL": catalogue, "BOOKSHELF_OPENLIBRARY_COVERS_URL": catalogue}
    left_hand, another, dispossessed = make_books(tmp_path / "books")
    with running_server(tmp_path / "data", env=env) as server:
        base = server.base_url
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        errors, foreign = watch(page, base)

        page.goto(base + "/setup")
        page.fill("#label", "browser")
        page.click("button[type=submit]")
        api = Api(base, page.input_value("#new-key"))
        page.click("text=Continue to bookshelf")

        # Upload two books through the file picker; each row reports "added".
        page.goto(base + "/inbox")
        page.set_input_files("#upload-input", [str(left_hand), str(another)])
        wait_for(lambda: page.locator("[data-uploads] .ok").count() == 2, "both uploads")
        books = wait_for(
            lambda: (
                (found := api.inbox()) and len(found) == 2 and all(b["status"] == "review" for b in found) and found
            ),
            "both books in review",
        )
        wait_for(api.idle, "the lookups to finish")
        first, second = (b["id"] for b in books)
        lh_id = next(b["id"] for b in books if b["title"] == LEFT_HAND)
        other_id = next(b["id"] for b in books if b["id"] != lh_id)

        # j and k move between books waiting for review.
        page.goto(f"{base}/review/{first}")
        page.wait_for_selector("[data-review-rows] [name=final-title]")
        page.keyboard.press("j")
        page.wait_for_url(f"{base}/review/{second}")
        page.wait_for_selector("[data-review-rows] [name=final-title]")
        page.keyboard.press("k")
        page.wait_for_url(f"{base}/review/{first}")

        # Review: Open Library's column sits beside the file's, with its score and cover.
        page.goto(f"{base}/review/{lh_id}")
        page.wait_for_selector("thead th:has-text('openlibrary') .score")
        ol = page.locator("thead th[data-col]:not([data-col=file])").first.get_attribute("data-col")
        page.wait_for_function(
            "c => { const i = document.querySelector(`td[data-field=cover][data-col='${c}'] img`);"
            " return i && i.complete && i.naturalWidth > 0; }",
            arg=ol,
        )
        assert page.input_value("[name=final-publisher]") == "Gollancz"  # the file's value to start with
        page.click(f"td[data-field=publisher][data-col='{ol}'] button")
        page.click(f"td[data-field=description][data-col='{ol}'] button")
        page.click(f"td[data-field=cover][data-col='{ol}'] button")
        assert page.input_value("[name=final-publisher]") == "Ace Books"
        page.fill("[name=final-title]", "The Left Hand of Darkness (Anniversary)")
        page.click("h1")  # out of the field, so the shortcut is not typed into it
        page.keyboard.press("a")
        page.wait_for_url(f"{base}/review/{other_id}")  # on to the next book waiting

        approved = api.get(f"/api/library/{lh_id}")
        assert approved["title"] == "The Left Hand of Darkness (Anniversary)"  # typed over
        assert approved["publisher"] == "Ace Books"  # from Open Library
        assert approved["description"] == "Open Library's description."  # from Open Library
        assert approved["authors"] == [AUTHOR] and approved["isbn13"] == ISBN  # the file's, untouched

        page.wait_for_selector("[data-review-rows] [name=final-title]")
        page.click("[data-approve]")
        page.wait_for_url(f"{base}/books/{other_id}")
        wait_for(api.idle, "organizing to finish")

        # Search with a typo, as you type: quick matches and the grid both find the book.
        page.goto(base + "/library")
        page.fill("[data-library-filter] [name=q]", "darknes lefft")
        page.wait_for_selector("[data-suggestions] a:has-text('Left Hand')")
        page.wait_for_selector("[data-library-books] a:has-text('Left Hand')")
        # The grid is redrawn when the answer comes: until then it still lists both books (the
        # unfiltered library also holds Left Hand), so wait for it to hold the one match.
        page.wait_for_function("() => document.querySelectorAll('[data-library-books] li').length === 1")
        page.click("[data-library-books] a:has-text('Left Hand')")
        page.wait_for_url(f"{base}/books/{lh_id}")

        # Download from the book page: the bytes are the library's file, a readable EPUB with the new title.
        with page.expect_download() as download:
            page.click("[data-download=epub]")
        got = Path(download.value.path()).read_bytes()
        file = api.get(f"/api/library/{lh_id}")["files"][0]
        assert got == api.client.get(f"/api/library/{lh_id}/download/{file['id']}").content
        with zipfile.ZipFile(io.BytesIO(got)) as epub:
            assert epub.read("mimetype") == b"application/epub+zip"
            opf = next(n for n in epub.namelist() if n.endswith(".opf"))
            assert "Anniversary" in epub.read(opf).decode()

        # A device syncs progress; the book page shows it, and the status can be overridden.
        response = api.client.put("/api/credentials/kosync", json={"username": "reader", "password": "correct horse"})
        assert response.status_code == 200
        sync_progress(base, file["koreaderHash"], 0.37, "Kobo Libra")
        page.reload()
        page.wait_for_selector("[data-devices] li:has-text('Kobo Libra'):has-text('37%')")
        page.select_option("[data-status-form] [name=status]", "finished")
        page.click("text=Set status")
        page.wait_for_selector("[data-reading-status]:has-text('finished')")
        assert api.get(f"/api/library/{lh_id}/progress")["readingStatus"] == "finished"

        # A third book left in review, a second device, so every page has something to show.
        page.goto(base + "/inbox")
        page.set_input_files("#upload-input", [str(dispossessed)])
        wait_for(lambda: any(b["status"] == "review" for b in api.inbox()), "the third book in review")
        wait_for(api.idle, "its lookup")
        review_id = api.inbox()[0]["id"]
        other_file = api.get(f"/api/library/{other_id}")["files"][0]
        sync_progress(base, other_file["koreaderHash"], 0.64, "Phone")

        pages = {
            "dashboard": "/", "inbox": "/inbox", "review": f"/review/{review_id}", "library": "/library",
            "book": f"/books/{lh_id}", "reading": "/reading", "stats": "/stats", "jobs": "/jobs",
            "settings": "/settings",
        }  # fmt: skip
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
            for name, path in pages.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                assert_fits(page, name, width)
        page.goto(base + "/reading")
        page.wait_for_selector("[data-reading-rows] a:has-text('Another Story')")
        assert re.search(r"\(1\)", page.inner_text("[data-count=reading]"))

        assert not errors, errors
        assert not foreign, foreign
        context.close()
        api.client.close()
