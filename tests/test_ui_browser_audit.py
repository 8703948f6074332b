"""A real-looking library in headless Chromium: axe-core on every page at desktop and phone widths, the
phone header and menu, touch targets, empty states, field errors and generated covers.

axe-core is vendored for the tests only (tests/vendor/axe-core, refreshed by scripts/vendor_axe.sh);
its checksum is checked before it runs. With BOOKSHELF_SCREENSHOTS=1 the README screenshots in
docs/screenshots/ are taken from this library.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.fakes.openlibrary import FakeOpenLibrary
from tests.fakes.server import serve_in_thread
from tests.reader_books import make_chapters_epub, xhtml
from tests.serve import running_server
from tests.strict import REPO_ROOT
from tests.ui_browser import assert_fits, wait_for, watch
from tests.ui_library import BOOKS, CATALOGUE, fill_library, idle

AXE = REPO_ROOT / "tests" / "vendor" / "axe-core"
SHOTS = REPO_ROOT / "docs" / "screenshots"
WIDTHS = ((1280, 800, "desktop"), (390, 844, "phone"))
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    sums = dict(reversed(line.split()) for line in (AXE / "SHA256SUMS").read_text().splitlines())
    data = (AXE / "axe.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == sums["axe.min.js"], "axe.min.js does not match SHA256SUMS"
    assert (AXE / "LICENSE").is_file() and (AXE / "VERSION").read_text().strip()
    return data.decode()


class Library:
    def __init__(self, base: str, key: str, ids: dict[str, str], review_id: str) -> None:
        self.base, self.key, self.ids, self.review_id = base, key, ids, review_id
        self.client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=20)

    def book_id(self, title: str, number: float | None = None) -> str:
        for (t, _, _, n, *_), stem in zip(BOOKS, self.ids, strict=True):
            if t == title and (number is None or n == number):
                return self.ids[stem]
        raise KeyError(title)


@pytest.fixture(scope="module")
def library(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    tmp = tmp_path_factory.mktemp("audit")
    with serve_in_thread(FakeOpenLibrary.from_books(CATALOGUE).app) as url:
        env = {"BOOKSHELF_OPENLIBRARY_URL": url, "BOOKSHELF_OPENLIBRARY_COVERS_URL": url}
        with running_server(tmp / "data", env=env) as server:
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(script=axe_source())
            page.goto(server.base_url + "/setup")
            # The setup page is seen only once: audit it before the key exists.
            for width, height, _ in WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                page.reload()
                assert_axe_clean(page, f"setup@{width}")
            page.fill("#label", "audit")
            page.click("button[type=submit]")
            key = page.input_value("#new-key")
            context.close()
            client = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20)
            ids = fill_library(client, tmp / "books")
            review_id = client.get("/api/inbox?sort=title_asc").json()["data"][0]["id"]
            client.close()
            lib = Library(server.base_url, key, ids, review_id)
            yield lib
            lib.client.close()


def signed_in(browser, library: Library, width: int = 1280, height: int = 800, axe: bool = False) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    if axe:
        page.add_init_script(script=axe_source())
    page.goto(library.base + "/signin")
    page.fill("[name=key]", library.key)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def axe_problems(page: Any, where: str) -> list[Any]:
    violations = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
            .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                           nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))"""
    )
    return [(where, v) for v in violations if v["impact"] in BLOCKING]


def assert_axe_clean(page: Any, where: str) -> None:
    blocking = axe_problems(page, where)
    assert not blocking, blocking


def pages(library: Library) -> dict[str, str]:
    return {
        "dashboard": "/", "inbox": "/inbox", "review": f"/review/{library.review_id}", "library": "/library",
        "book": f"/books/{library.book_id('The Lantern Road', 2)}", "reading": "/reading", "stats": "/stats",
        "jobs": "/jobs", "trash": "/trash", "settings": "/settings",
    }  # fmt: skip


def test_every_page_is_axe_clean_at_both_widths_with_a_phone_header(browser, library: Library) -> None:
    shots = os.environ.get("BOOKSHELF_SCREENSHOTS") == "1"
    problems: list[Any] = []
    for width, height, suffix in WIDTHS:
        page = signed_in(browser, library, width, height, axe=True)
        errors, foreign = watch(page, library.base)
        for name, path in pages(library).items():
            page.goto(library.base + path)
            page.wait_for_load_state("networkidle")
            assert_fits(page, name, width)
            problems += axe_problems(page, f"{name}@{width}")
            header = page.locator("header.top").bounding_box()
            menu = page.locator("[data-menu-toggle]")
            if width < 720:
                assert header["height"] <= 64, (name, header)
                assert menu.is_visible() and not page.locator("#main-nav").is_visible()
                small = page.evaluate(
                    """() => [...document.querySelectorAll(
                            "header button, header a, main button, main a.button, main select")]
                        .filter((e) => e.offsetParent !== null && !e.closest("dialog:not([open])"))
                        .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect().height])
                        .filter(([, h]) => h < 44)"""
                )
                assert not small, (name, small)
            else:
                assert not menu.is_visible() and page.locator("#main-nav").is_visible()
            if shots and name in ("dashboard", "inbox", "review", "library", "book", "reading", "stats", "settings"):
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{name}-{suffix}.png"), full_page=width > 500)
        # The menu opens, is audited open, moves focus along its links and closes with Escape.
        if width < 720:
            page.goto(library.base + "/library")
            page.click("[data-menu-toggle]")
            assert page.get_attribute("[data-menu-toggle]", "aria-expanded") == "true"
            page.wait_for_selector("#main-nav a[href='/inbox']", state="visible")
            assert page.locator("header.top").bounding_box()["height"] <= 64  # the panel overlays the page
            problems += axe_problems(page, f"menu@{width}")
            if shots:
                page.screenshot(path=str(SHOTS / "menu-phone.png"))
            page.keyboard.press("Escape")
            assert not page.locator("#main-nav").is_visible()
        # The error page (its 404 is the one console line expected) and, signed out, the sign-in page.
        page.goto(library.base + "/books/00000000-0000-4000-8000-0000000000ff")
        problems += axe_problems(page, f"not-found@{width}")
        assert [e for e in errors if "404" not in e] == [] and len(errors) <= 1, errors
        assert not foreign, foreign
        page.context.clear_cookies()
        page.goto(library.base + "/signin")
        problems += axe_problems(page, f"signin@{width}")
        page.context.close()
    assert not problems, "\n".join(map(str, problems))


def test_palette_and_lists_say_what_is_missing(browser, library: Library) -> None:
    page = signed_in(browser, library)
    page.keyboard.press("Control+k")
    page.wait_for_selector("#palette[open]")
    page.keyboard.type("kokro")
    empty = page.wait_for_selector("#palette li.empty")
    assert empty.inner_text().startswith("No book matches kokro; search the whole library for it")
    assert empty.get_attribute("aria-selected") == "true"  # Enter takes it
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/library\?q=kokro$"))
    state = page.wait_for_selector("[data-library-books] .empty-state")
    assert "No book matches kokro" in state.inner_text()
    page.click("[data-library-books] .empty-state button")  # clear the search: the books come back
    page.wait_for_function("() => document.querySelectorAll('[data-library-books] li:not(.empty-state)').length > 3")
    page.goto(library.base + "/inbox")
    page.fill("[data-inbox-filter] [name=q]", "kokro")
    page.wait_for_selector("[data-inbox-rows] .empty-state:has-text('No book in the inbox matches kokro')")
    page.goto(library.base + "/jobs")
    page.wait_for_selector(".empty-state:has-text('No failed jobs')")
    page.context.close()


def test_a_too_long_title_is_named_beside_its_field_with_focus(browser, library: Library) -> None:
    book_id = library.book_id("Moby-Dick")
    page = signed_in(browser, library)
    page.goto(f"{library.base}/books/{book_id}")
    page.click("[data-edit-toggle]")
    page.fill("#edit-form [name=title]", "Call me Ishmael. " * 36)  # 612 characters
    page.click("#edit-form button[type=submit]")
    note = page.wait_for_selector("#edit-form .field-error")
    assert note.inner_text() == "Title must be at most 500 characters (now 611)."
    assert page.evaluate("document.activeElement.name") == "title"
    field = page.locator("#edit-form [name=title]")
    assert field.get_attribute("aria-invalid") == "true" and field.get_attribute("aria-describedby") == "error-title"
    # The note sits beside the field, not by the Save button far below.
    gap = note.bounding_box()["y"] - field.bounding_box()["y"]
    assert 0 < gap < 80, gap
    assert library.client.get(f"/api/library/{book_id}").json()["title"] == "Moby-Dick"
    page.fill("#edit-form [name=title]", "Moby-Dick; or, The Whale")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Moby-Dick; or, The Whale')")
    page.context.close()


def test_tiles_and_opds_show_generated_covers_series_and_formats(browser, library: Library) -> None:
    first, second = library.book_id("The Lantern Road", 1), library.book_id("The Lantern Road", 2)
    page = signed_in(browser, library)
    page.goto(library.base + "/library?q=lantern")
    page.wait_for_selector(f"[data-library-books] a[href='/books/{second}']")
    for book_id, number in ((first, 1), (second, 2)):
        tile = page.locator(f"[data-library-books] a[href='/books/{book_id}']")
        assert f"The Lantern Cycle #{number}" in tile.inner_text() and "EPUB" in tile.locator(".fmts").inner_text()
        src = tile.locator("img").get_attribute("src")
        assert "?v=g" in src  # a generated cover, versioned by its text
        page.wait_for_function(
            "s => [...document.images].some((i) => i.src.endsWith(s) && i.naturalWidth > 0)", arg=src
        )
    urls = [page.locator(f"a[href='/books/{i}'] img").get_attribute("src") for i in (first, second)]
    assert urls[0] != urls[1]  # "#1" and "#2" are drawn on them
    page.goto(library.base + "/library?format=pdf")
    page.wait_for_selector("[data-library-books] .fmt:has-text('PDF')")
    page.context.close()

    # OPDS and KOReader get the same picture: the thumbnail of a book without a cover is the generated one.
    assert (
        library.client.put("/api/credentials/opds", json={"username": "reader", "password": "pages"}).status_code == 200
    )
    opds = httpx.Client(base_url=library.base, auth=("reader", "pages"), timeout=20)
    thumb = opds.get(f"/opds/books/{second}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(thumb.content))
    assert image.size[1] <= 300 and image.size[0] * 3 == image.size[1] * 2
    entry = opds.get(f"/opds/books/{second}").text
    assert f"/opds/books/{second}/thumbnail" in entry
    assert (
        opds.get(f"/opds/books/{second}/thumbnail", headers={"If-None-Match": thumb.headers["etag"]}).status_code == 304
    )
    full = library.client.get(f"/api/library/{second}/cover")
    assert Image.open(io.BytesIO(full.content)).size == (600, 900)
    assert not library.client.get(f"/api/library/{second}").json()["hasCover"]
    opds.close()


LOOMINGS = [
    "Call me Ishmael. Some years ago\u2014never mind how long precisely\u2014having little or no money in my "
    "purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the "
    "watery part of the world. It is a way I have of driving off the spleen and regulating the circulation.",
    "Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; "
    "whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every "
    "funeral I meet; then, I account it high time to get to sea as soon as I can. This is my substitute for "
    "pistol and ball. With a philosophical flourish Cato throws himself upon his sword; I quietly take to the "
    "ship. There is nothing surprising in this.",
    "There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral "
    "reefs\u2014commerce surrounds it with her surf. Right and left, the streets take you waterward. Its extreme "
    "downtown is the battery, where that noble mole is washed by waves, and cooled by breezes, which a few hours "
    "previous were out of sight of land. Look at the crowds of water-gazers there.",
]


def test_the_reader_is_axe_clean_at_both_widths(browser, library: Library, tmp_path) -> None:
    """The web reader on a chapter of prose; with BOOKSHELF_SCREENSHOTS=1 it is the README's reader picture."""
    body = "<h1>Chapter 1. Loomings.</h1>" + "".join(f"<p>{p}</p>" for p in LOOMINGS * 3)
    path = make_chapters_epub(tmp_path / "loomings.epub", [xhtml(body, "Loomings")], title="Loomings")
    client = library.client
    uploaded = client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())})
    assert uploaded.status_code == 201, uploaded.text
    book_id = uploaded.json()["uploaded"][0]["bookId"]
    wait_for(lambda: idle(client) and client.get(f"/api/inbox/{book_id}").json().get("status") == "review", "review")
    assert client.post(f"/api/books/{book_id}/approve", json={}).status_code == 200
    wait_for(lambda: idle(client) and client.get(f"/api/library/{book_id}").status_code == 200, "organizing")
    shots = os.environ.get("BOOKSHELF_SCREENSHOTS") == "1"
    for width, height, suffix in WIDTHS:
        page = signed_in(browser, library, width, height, axe=True)
        errors, foreign = watch(page, library.base)
        page.goto(f"{library.base}/read/{book_id}")
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        page.wait_for_function("() => document.querySelector('[data-percent]').textContent.includes('%')")
        assert_fits(page, "reader", width)
        assert_axe_clean(page, f"reader@{width}")
        if shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"reader-{suffix}.png"))
        assert not errors and not foreign, (errors, foreign)
        page.context.close()
