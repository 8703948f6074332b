"""Contents and search inside the book in the web reader (Chromium), EPUB and PDF, desktop and phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reader_books import make_outlined_pdf, make_prose_epub
from tests.reader_browser import DESKTOP, PHONE, Reader, kosync_get, new_context, served_library
from tests.reader_library import Library
from tests.ui_browser import watch

SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
# The text foliate reports as shown (its visible range), or the page pdf.js drew.
SHOWN_TEXT = "document.querySelector('foliate-view').lastLocation.range.toString()"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Library, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("find")
    for base, lib in served_library(tmp / "data"):
        books = {
            "epub-desktop": lib.add(make_prose_epub(tmp / "d.epub", chapters=4, title="Findable on a Desk")),
            "epub-phone": lib.add(make_prose_epub(tmp / "p.epub", chapters=4, title="Findable on a Phone")),
            "pdf-desktop": lib.add(make_outlined_pdf(tmp / "d.pdf", title="Outlined for a Desk")),
            "pdf-phone": lib.add(make_outlined_pdf(tmp / "p.pdf", title="Outlined for a Phone")),
        }
        yield base, lib, books


def open_panel(reader: Reader, key: str, name: str) -> None:
    reader.page.keyboard.press(key)
    reader.page.wait_for_selector(f"[data-panel-body='{name}']:not([hidden])")


@SIZES
def test_epub_contents_and_search_go_where_they_say(browser, library, size) -> None:
    base, lib, books = library
    book = books["epub-desktop" if size == DESKTOP else "epub-phone"]
    context = new_context(browser, lib, size, '{"flow":"paginated"}')
    try:
        reader = Reader(context, base, book["id"], size)
        assert reader.progress().startswith("/body/DocFragment[1]/")
        # Contents: the book's own navigation, and a chapter chosen there is where the reader goes.
        open_panel(reader, "t", "toc")
        labels = reader.page.locator("[data-toc] a").all_inner_texts()
        assert labels == ["Chapter 1", "Chapter 2", "Chapter 3", "Chapter 4"], labels
        reader.page.click("[data-toc] a:text-is('Chapter 3')")
        here = reader.wait_progress(lambda p: p.startswith("/body/DocFragment[3]/"), "the contents' Chapter 3")
        assert reader.page.locator("[data-panel-body='toc']").is_hidden()
        assert "Chapter 3" in reader.page.inner_text("[data-chapter]")
        reader.saved(here)  # going somewhere from the contents is a move of the reader's: KOReader sees it
        assert kosync_get(base, book["files"][0]["koreaderHash"])["progress"] == here

        # Search: a phrase from deep inside chapter 2 is found there, once, and the result opens on it.
        open_panel(reader, "/", "search")
        assert reader.page.evaluate("document.activeElement.name") == "q"
        reader.page.keyboard.type("Paragraph 2.31:")
        reader.page.keyboard.press("Enter")
        reader.page.wait_for_function(
            "() => document.querySelector('[data-search-status]').textContent.includes('found')"
        )
        assert reader.page.inner_text("[data-search-status]") == "1 found"
        assert "Paragraph 2.31:" in reader.page.inner_text("[data-search-results]")
        reader.page.click("[data-search-results] a")
        reader.wait_progress(lambda p: p.startswith("/body/DocFragment[2]/"), "the search result")
        reader.page.wait_for_function(f"() => ({SHOWN_TEXT}).includes('Paragraph 2.31:')", timeout=15000)
        # A phrase the book does not have says so.
        open_panel(reader, "/", "search")
        reader.page.fill("[data-search-form] input", "zeppelin")
        reader.page.keyboard.press("Enter")
        reader.page.wait_for_function(
            "() => document.querySelector('[data-search-status]').textContent === 'Not found in this book'"
        )
        assert reader.page.locator("[data-search-results] li").count() == 0
        reader.clean()
    finally:
        context.close()


@SIZES
def test_pdf_outline_and_search_go_to_their_pages(browser, library, size) -> None:
    base, lib, books = library
    book = books["pdf-desktop" if size == DESKTOP else "pdf-phone"]
    context = new_context(browser, lib, size)
    try:
        reader = Reader(context, base, book["id"], size)
        assert reader.progress() == "1"
        open_panel(reader, "t", "toc")
        labels = reader.page.locator("[data-toc] a").all_inner_texts()
        assert labels == ["Part One", "Part Two", "Inner Part"], labels
        reader.page.click("[data-toc] a:text-is('Inner Part')")
        reader.wait_progress(lambda p: p == "8", "the outline's Inner Part")
        assert reader.shown_pages() == [8]
        reader.saved("8")
        assert kosync_get(base, book["files"][0]["koreaderHash"])["progress"] == "8"

        open_panel(reader, "/", "search")
        reader.page.keyboard.type("marker11")
        reader.page.keyboard.press("Enter")
        reader.page.wait_for_function(
            "() => document.querySelector('[data-search-status]').textContent.includes('found')"
        )
        assert reader.page.inner_text("[data-search-status]") == "1 found"
        assert reader.page.inner_text("[data-search-results]").startswith("Page 11:")
        reader.page.click("[data-search-results] a")
        reader.wait_progress(lambda p: p == "11", "the search result")
        assert reader.shown_pages() == [11]
        reader.clean()
    finally:
        context.close()


def test_the_library_and_the_dashboard_open_the_reader(browser, library) -> None:
    base, lib, books = library
    book = books["pdf-desktop"]
    context = new_context(browser, lib, PHONE)
    try:
        page = context.new_page()
        errors, foreign = watch(page, base)
        page.goto(f"{base}/library")
        page.click(f"[data-library-books] a.tile-read[href='/read/{book['id']}']")
        page.wait_for_selector("body[data-ready='1']", timeout=30000)
        assert page.url == f"{base}/read/{book['id']}"
        page.goto(f"{base}/")  # the dashboard's newest books, drawn by the server
        for other in books.values():
            assert page.locator(f"a.tile-read[href='/read/{other['id']}']").count() == 1, other["title"]
        assert not errors and not foreign, (errors, foreign)
    finally:
        context.close()
