"""PDF, CBZ and CBR in the web reader (Chromium): keys, tap zones and swipes, reload, KOReader page numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.builders import make_cbr, make_cbz, make_pdf
from tests.reader_browser import DESKTOP, PHONE, Reader, kosync_get, kosync_put, new_context, served_library
from tests.reader_library import Library

PAGES = 14
MOVES = [("key:ArrowRight", 1), ("tap:right", 1), ("swipe:left", 1), ("swipe:right", -1), ("tap:left", -1),
         ("key:ArrowLeft", -1), ("key:PageDown", 1)]  # fmt: skip


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Library, dict[str, dict[str, Any]]]]:
    tmp = tmp_path_factory.mktemp("pages")
    for base, lib in served_library(tmp / "data"):
        books = {
            "pdf": lib.add(make_pdf(tmp / "pages.pdf", title="Fourteen Pages", pages=PAGES)),
            "cbz": lib.add(make_cbz(tmp / "panels.cbz", pages=PAGES, comicinfo={"Title": "Fourteen Panels"},
                                    page_size=(300, 450))),
            "cbr": lib.add(make_cbr(tmp / "panels.cbr", pages=PAGES, comicinfo={"Title": "Fourteen Frames"})),
        }  # fmt: skip
        yield base, lib, books


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("kind", ["pdf", "cbz", "cbr"])
def test_pages_turn_by_keys_taps_and_swipes_and_koreader_sees_the_page(browser, library, kind, size) -> None:
    base, lib, books = library
    book = books[kind]
    document = book["files"][0]["koreaderHash"]
    # A landscape desktop shows comics two pages at a time after the cover: 1, 2-3, 4-5 ...
    spread = kind != "pdf" and size == DESKTOP
    step = 2 if spread else 1
    start = 4

    # KOReader (wire format) was on page 4: the reader opens there, and opening writes nothing.
    kosync_put(base, document, str(start), round(start / PAGES, 4))
    context = new_context(browser, lib, size)
    try:
        reader = Reader(context, base, book["id"], size)
        assert reader.progress() == str(start)
        assert start in reader.shown_pages()
        assert reader.shown_pages() == ([start, start + 1] if spread else [start])
        reader.page.wait_for_timeout(1000)
        assert kosync_get(base, document)["device"] == "Kobo Libra"

        expected = start
        for action, delta in MOVES:
            how, arg = action.split(":")
            if how == "key":
                reader.page.keyboard.press(arg)
            elif how == "tap":
                reader.tap(arg)
            else:
                reader.swipe(arg)
            expected += delta * step
            reader.wait_progress(lambda p, e=expected: p == str(e), f"{action} from {expected - delta * step}")
            assert reader.shown_pages()[0] == expected, (action, reader.shown_pages())

        # The move reaches KOReader as a page number, through a wire-format GET.
        reader.saved(str(expected))
        got = kosync_get(base, document)
        assert got["progress"] == str(expected) and got["device"].startswith("Web reader")
        assert got["percentage"] == pytest.approx(expected / PAGES, abs=1e-4)

        # Reload: the same page.
        reader.reload()
        assert reader.progress() == str(expected)
        assert reader.shown_pages()[0] == expected
        reader.clean()
    finally:
        context.close()


def test_manga_turns_right_to_left(browser, library, tmp_path: Path) -> None:
    base, lib, _ = library
    manga = {"Title": "Manga", "Manga": "YesAndRightToLeft"}
    book = lib.add(make_cbz(tmp_path / "manga.cbz", pages=6, comicinfo=manga))
    context = new_context(browser, lib, PHONE)
    try:
        reader = Reader(context, base, book["id"], PHONE)
        assert reader.progress() == "1"
        reader.tap("left")  # the left side is the next page in a right-to-left book
        reader.wait_progress(lambda p: p == "2", "a tap on the left")
        reader.swipe("right")  # ... and a swipe to the right turns forward
        reader.wait_progress(lambda p: p == "3", "a swipe to the right")
        reader.page.keyboard.press("ArrowRight")
        reader.wait_progress(lambda p: p == "2", "the right arrow")
        reader.clean()
    finally:
        context.close()


def test_two_accounts_reading_one_book_keep_their_own_positions(browser, library) -> None:
    base, lib, books = library
    book = books["pdf"]
    document = book["files"][0]["koreaderHash"]
    reader_key, reader_kosync = lib.add_reader("sam")
    kosync_put(base, document, "9", round(9 / PAGES, 4))  # the admin's Kobo
    kosync_put(base, document, "5", round(5 / PAGES, 4), headers=reader_kosync)  # Sam's Kobo
    admin_ctx = new_context(browser, lib, DESKTOP)
    sam_ctx = new_context(browser, lib, PHONE, key=reader_key)
    try:
        admin = Reader(admin_ctx, base, book["id"], DESKTOP)
        sam = Reader(sam_ctx, base, book["id"], PHONE)
        assert (admin.progress(), sam.progress()) == ("9", "5")
        admin.page.keyboard.press("ArrowRight")
        admin.saved("10")
        sam.page.keyboard.press("ArrowLeft")
        sam.saved("4")
        # Each account's KOReader pulls its own reader's move; neither sees the other's.
        assert kosync_get(base, document)["progress"] == "10"
        assert kosync_get(base, document, reader_kosync)["progress"] == "4"
        admin.reload()
        sam.reload()
        assert (admin.progress(), sam.progress()) == ("10", "4")
        # Sam signs in on the admin's browser: Sam's own page, and no question about the admin's.
        admin_ctx.clear_cookies()
        lib.sign_in(admin_ctx, reader_key)
        admin.reload()
        assert admin.progress() == "4"
        assert not admin.page.locator("dialog[data-choice][open]").count()
        admin.clean()
        sam.clean()
    finally:
        admin_ctx.close()
        sam_ctx.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_page_display_settings_persist_across_reloads(browser, library, size) -> None:
    base, lib, books = library
    context = new_context(browser, lib, size)
    try:
        comic = Reader(context, base, books["cbz"]["id"], size)
        page = comic.page
        wide = size == DESKTOP
        page.click("[data-panel='settings']")
        assert page.locator("[data-settings] select[name='spread']").is_visible()
        assert page.locator("[data-settings] input[name='fontSize']").is_hidden()  # no font size for pictures
        page.select_option("[data-settings] select[name='theme']", "dark")
        page.fill("[data-settings] input[name='margin']", "48")
        page.select_option("[data-settings] select[name='spread']", "none")
        comic.reload()
        assert page.evaluate("document.body.dataset.theme") == "dark"
        assert page.input_value("[data-settings] input[name='margin']") == "48"
        assert page.input_value("[data-settings] select[name='spread']") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('[data-view]')).paddingLeft") == "48px"
        here = int(comic.progress())
        assert comic.shown_pages() == [here]  # one page at a time, even on a wide screen
        if wide:
            page.click("[data-panel='settings']")
            page.select_option("[data-settings] select[name='spread']", "auto")
            page.wait_for_function("() => document.querySelectorAll('.rd-pages [data-page]').length === 2")

        # The same settings are the browser's for every book: a PDF opens dark, and scrolling is kept.
        pdf = Reader(context, base, books["pdf"]["id"], size)
        assert pdf.page.evaluate("document.body.dataset.theme") == "dark"
        pdf.page.click("[data-panel='settings']")
        pdf.page.select_option("[data-settings] select[name='flow']", "scrolled")
        pdf.page.wait_for_selector(".rd-scroll [data-page]")
        pdf.reload()
        assert pdf.page.evaluate("document.body.dataset.flow") == "scrolled"
        pdf.page.wait_for_selector(".rd-scroll canvas")
        comic.clean()
        pdf.clean()
    finally:
        context.close()


def test_manga_spreads_read_right_to_left_on_a_wide_screen(browser, library, tmp_path: Path) -> None:
    base, lib, _ = library
    manga = {"Title": "Wide Manga", "Manga": "YesAndRightToLeft"}
    book = lib.add(make_cbz(tmp_path / "wide-manga.cbz", pages=8, comicinfo=manga, page_size=(300, 450)))
    context = new_context(browser, lib, DESKTOP)
    try:
        reader = Reader(context, base, book["id"], DESKTOP)
        assert reader.shown_pages() == [1]  # the cover alone
        reader.tap("left")
        reader.wait_progress(lambda p: p == "2", "a tap on the left")
        # Two pages side by side, the first to read on the right: drawn left to right as 3, 2.
        assert reader.shown_pages() == [3, 2]
        reader.page.keyboard.press("ArrowLeft")
        reader.wait_progress(lambda p: p == "4", "the left arrow")
        assert reader.shown_pages() == [5, 4]
        reader.clean()
    finally:
        context.close()
