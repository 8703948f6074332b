"""Every failure says why, where the user looks: uploads, metadata sources, bulk approve, and a
keyboard-only walk through setup, review and approve. Headless Chromium against `bookshelf serve`,
with a fake Open Library that fails on request and Google Books pointed at a closed port (offline).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import make_epub, make_jpeg, make_png
from tests.fakes.openlibrary import FakeOpenLibrary
from tests.fakes.server import serve_in_thread
from tests.serve import running_server
from tests.ui_browser import watch
from tests.ui_library import idle, wait_for

CATALOGUE = [
    {"title": "Kindred", "authors": ["Octavia E. Butler"], "isbn13": "9780807083697", "year": 1979, "pages": 264,
     "cover_id": 7301, "publisher": "Doubleday", "description": "Dana is pulled back to 1815 Maryland."},
    {"title": "Parable of the Sower", "authors": ["Octavia E. Butler"], "year": 1993, "pages": 345,
     "cover_id": 7302, "publisher": "Four Walls Eight Windows", "description": "California, 2024."},
]  # fmt: skip


@pytest.fixture
def fake() -> Iterator[FakeOpenLibrary]:
    fake = FakeOpenLibrary.from_books(CATALOGUE)
    with serve_in_thread(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


def start(browser, server) -> tuple[Any, httpx.Client, list[str]]:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    errors, _ = watch(page, server.base_url)
    page.goto(server.base_url + "/setup")
    page.fill("#label", "browser")
    page.click("button[type=submit]")
    key = page.input_value("#new-key")
    page.click("text=Continue to bookshelf")
    client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20)
    return page, client, errors


def env_for(fake: FakeOpenLibrary) -> dict[str, str]:
    url = fake.url  # type: ignore[attr-defined]
    return {"BOOKSHELF_OPENLIBRARY_URL": url, "BOOKSHELF_OPENLIBRARY_COVERS_URL": url}


def book(folder: Path, title: str, author: str = "Octavia E. Butler", **kwargs: Any) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{title.lower().replace(' ', '-')}.epub"
    return make_epub(path, title=title, authors=[author], body_bytes=2000, **kwargs)


def noted_sources(client: Any, book_id: str) -> set[str]:
    """The sources with a note: each provider's note lands on its own as its answer arrives."""
    lookup = client.get(f"/api/books/{book_id}/candidates").json().get("lookup") or {}
    return {note["source"] for note in lookup.get("notes") or []}


def test_each_upload_says_what_happened_to_it(browser, fake, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    good = book(folder, "Kindred", isbn="9780807083697", cover=make_jpeg(200, 300))
    script = folder / "notes.py"
    script.write_text("print('not a book')\n")
    renamed = folder / "holiday.epub"
    renamed.write_bytes(make_png(300, 200))
    huge = folder / "huge.pdf"
    huge.write_bytes(b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10))
    with running_server(tmp_path / "data", env=env_for(fake)) as server:
        page, client, errors = start(browser, server)
        assert client.patch("/api/settings", json={"maxUploadMb": 1}).status_code == 200
        page.goto(server.base_url + "/inbox")
        page.set_input_files("#upload-input", [str(good)])
        page.wait_for_selector("[data-upload='kindred.epub'] .result.ok:has-text('Added to the inbox.')")
        wait_for(lambda: idle(client), "the first book read")
        copy = folder / "kindred-again.epub"
        copy.write_bytes(good.read_bytes())
        page.set_input_files("#upload-input", [str(script), str(renamed), str(huge), str(copy)])
        wait_for(lambda: page.locator("[data-uploads] li .result:not(:text('uploading'))").count() == 5, "every result")

        def said(name: str) -> str:
            return page.inner_text(f"[data-upload='{name}'] .result")

        assert re.fullmatch(r"Not an ebook: The file is .+, not an ebook\.", said("notes.py")), said("notes.py")
        assert said("holiday.epub") == "Not an ebook: The file is a PNG image, not an ebook."
        assert said("huge.pdf") == "Too large: The file is larger than the 1 MB limit"
        assert said("kindred-again.epub") == "Duplicate of Kindred: the same file is already in bookshelf."
        dup_link = page.locator("[data-upload='kindred-again.epub'] a")
        assert re.search(r"/review/[0-9a-f-]{36}$", dup_link.get_attribute("href") or "")
        # A refused file shows no full progress bar beside its reason.
        for name in ("notes.py", "holiday.epub", "huge.pdf"):
            assert not page.locator(f"[data-upload='{name}'] progress").is_visible()
            assert "error" in (page.get_attribute(f"[data-upload='{name}'] .result", "class") or "")
        assert not [e for e in errors if "400" not in e and "413" not in e], errors
        client.close()


def test_review_shows_each_source_its_failure_reason_and_retries(browser, fake, tmp_path: Path) -> None:
    fake.fail_throttled(times=500)  # Open Library: 429 on every request
    with running_server(tmp_path / "data", env=env_for(fake)) as server:
        page, client, _ = start(browser, server)
        # Google Books has a key but its address is a closed port: offline.
        assert client.put("/api/credentials/google_books", json={"apiKey": "AIza-test"}).status_code == 200
        path = book(tmp_path / "files", "Kindred", isbn="9780807083697")
        response = client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())})
        book_id = response.json()["uploaded"][0]["bookId"]
        wait_for(lambda: noted_sources(client, book_id) >= {"google_books", "openlibrary", "hardcover"},
                 "a lookup note from every source")  # fmt: skip
        page.goto(f"{server.base_url}/review/{book_id}")
        google = page.wait_for_selector("[data-sources] [data-source=google_books]")
        assert google.get_attribute("data-state") == "error"
        assert "failed: offline: could not connect" in google.inner_text()
        ol = page.locator("[data-sources] [data-source=openlibrary]")
        assert ol.get_attribute("data-state") == "error" and "failed: rate limited" in ol.inner_text()
        hardcover = page.locator("[data-sources] [data-source=hardcover]")
        assert "not asked: no key or token set in Settings" in hardcover.inner_text()
        assert page.locator("thead th[data-col]").count() == 1  # only the file's column: nothing was found

        # Open Library recovers; Retry asks again and its column arrives.
        fake.faults.clear()
        ol.locator("button:has-text('Retry')").click()
        page.wait_for_selector("[data-sources] [data-source=openlibrary][data-state=ok]:has-text('answered: 1 match')",
                               timeout=60_000)  # fmt: skip
        page.wait_for_selector("thead th:has-text('openlibrary') .score")
        assert page.locator("[data-sources] [data-source=google_books][data-state=error]").count() == 1
        # The Use column shows the cover approve keeps; picking Open Library's cover changes it.
        use = page.locator("td.final[data-final=cover] img")
        assert "generated" in (use.get_attribute("alt") or "")  # the file has no cover of its own
        column = page.locator("thead th[data-col]:not([data-col=file])").first.get_attribute("data-col")
        page.click(f"td[data-field=cover][data-col='{column}'] button")
        assert use.get_attribute("alt") == "Cover approve keeps: from openlibrary"
        assert "/candidates/" in (use.get_attribute("src") or "")
        client.close()


def test_a_source_with_no_match_says_so(browser, fake, tmp_path: Path) -> None:
    with running_server(tmp_path / "data", env=env_for(fake)) as server:
        page, client, _ = start(browser, server)
        path = book(tmp_path / "files", "A Book Nobody Wrote", "Nobody Atall")
        book_id = client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())}).json()[
            "uploaded"][0]["bookId"]  # fmt: skip
        wait_for(lambda: idle(client) and client.get(f"/api/inbox/{book_id}").json()["status"] == "review", "review")
        page.goto(f"{server.base_url}/review/{book_id}")
        ol = page.wait_for_selector("[data-sources] [data-source=openlibrary]")
        assert ol.get_attribute("data-state") == "ok" and "answered: no match" in ol.inner_text()
        client.close()


def test_bulk_approve_names_count_and_rule_skips_processing_and_confirms(browser, fake, tmp_path: Path) -> None:
    folder = tmp_path / "files"
    with running_server(tmp_path / "data", env=env_for(fake)) as server:
        page, client, errors = start(browser, server)
        for title in ("Kindred", "Parable of the Sower"):
            path = book(folder, title, isbn="9780807083697" if title == "Kindred" else None)
            assert client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())}).status_code == 201
        wait_for(lambda: idle(client) and all(b["status"] == "review" for b in client.get("/api/inbox").json()["data"]),
                 "two books in review")  # fmt: skip
        # A book that cannot be read fails: it is listed, and bulk approve must skip it.
        broken = make_epub(folder / "Wild Seed.epub", title="Wild Seed", opf="<package")
        slow_id = client.post("/api/inbox/upload", files={"file": (broken.name, broken.read_bytes())}).json()[
            "uploaded"][0]["bookId"]  # fmt: skip
        wait_for(lambda: client.get(f"/api/inbox/{slow_id}").json()["status"] == "failed", "the broken book failed")
        page.goto(server.base_url + "/inbox")
        page.wait_for_selector(f"[data-inbox-rows] tr[data-id='{slow_id}']")
        assert page.is_disabled("[data-bulk-approve]")  # the toolbar is there, idle until something is ticked
        page.check("[data-select-all]")
        assert page.inner_text("[data-selected-count]") == "3 selected"
        page.click("[data-bulk-approve]")
        dialog = page.wait_for_selector("[data-bulk-dialog][open]")
        assert dialog.query_selector("h2").inner_text() == "Approve 2 books?"
        summary = page.inner_text("[data-bulk-summary]")
        assert (
            "3 selected; 2 in review will be approved" in summary
            and "1 still processing or failed will be skipped" in summary
        )
        assert page.is_checked("[data-bulk-dialog] [value=file_first]")
        assert "File first" in page.inner_text("[data-bulk-dialog] fieldset")
        assert "Candidate first" in page.inner_text("[data-bulk-dialog] fieldset")
        # Cancel approves nothing.
        page.click("[data-bulk-dialog] button[value=cancel]")
        assert {b["status"] for b in client.get("/api/inbox").json()["data"]} >= {"review"}
        assert client.get("/api/library").json()["total"] == 0
        page.click("[data-bulk-approve]")
        page.check("[data-bulk-dialog] [value=candidate_first]")
        page.click("[data-bulk-confirm]")
        page.wait_for_selector("[data-bulk-status].ok:has-text('2 approved (candidate first), 1 skipped.')")
        assert client.get("/api/library").json()["total"] == 2
        assert client.get(f"/api/inbox/{slow_id}").status_code == 200  # still in the inbox, untouched
        assert not errors, errors
        client.close()


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus: proof it is reachable by keyboard, in order."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_keyboard_only_setup_review_and_approve(browser, fake, tmp_path: Path) -> None:
    path = book(tmp_path / "files", "Kindred", isbn="9780807083697")
    with running_server(tmp_path / "data", env=env_for(fake)) as server:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        errors, _ = watch(page, server.base_url)
        page.goto(server.base_url + "/")
        tab_to(page, "#label")
        page.keyboard.press("Control+a")
        page.keyboard.type("keyboard")
        page.keyboard.press("Enter")
        key = page.wait_for_selector("#new-key").input_value()
        tab_to(page, "a.button.primary[href='/']")  # Continue to bookshelf
        page.keyboard.press("Enter")
        page.wait_for_selector("h1:has-text('Dashboard')")
        client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20)
        book_id = client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())}).json()[
            "uploaded"][0]["bookId"]  # fmt: skip
        wait_for(lambda: idle(client) and client.get(f"/api/inbox/{book_id}").json()["status"] == "review", "review")

        # The palette finds the book; Enter opens its review.
        page.keyboard.press("Control+k")
        page.keyboard.type("kindred")
        page.wait_for_selector("#palette li[aria-selected=true]:has-text('Kindred')")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/review/{book_id}")
        page.wait_for_selector("thead th:has-text('openlibrary')")
        column = page.locator("thead th[data-col]:not([data-col=file])").first.get_attribute("data-col")
        tab_to(page, f"td[data-field=publisher][data-col='{column}'] button")
        page.keyboard.press("Enter")
        assert page.input_value("[name=final-publisher]") == "Doubleday"
        tab_to(page, "[data-approve]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/books/{book_id}")
        assert client.get(f"/api/library/{book_id}").json()["publisher"] == "Doubleday"

        # The phone menu works from the keyboard too.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(server.base_url + "/library")
        tab_to(page, "[data-menu-toggle]")
        page.keyboard.press("Enter")
        tab_to(page, "#main-nav a[href='/inbox']", limit=10)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/inbox")
        assert not errors, errors
        client.close()
