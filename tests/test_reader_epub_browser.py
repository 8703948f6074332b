"""EPUB in the web reader (Chromium) in pages: keys, taps and swipes, reload; settings kept; fixed layout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bookshelf.formats.epub_spine import EpubText
from tests.reader_books import make_fixed_layout_epub, make_prose_epub
from tests.reader_browser import DESKTOP, PHONE, Reader, kosync_get, new_context, served_library
from tests.reader_library import Library

PAGINATED = '{"flow":"paginated"}'


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Library, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("epub")
    for base, lib in served_library(tmp / "data"):
        books = {
            "desktop": lib.add(make_prose_epub(tmp / "desktop.epub", title="Prose for a Desk")),
            "phone": lib.add(make_prose_epub(tmp / "phone.epub", title="Prose for a Phone")),
            "settings": lib.add(make_prose_epub(tmp / "settings.epub", chapters=2, title="Prose with Settings")),
            "fixed": lib.add(make_fixed_layout_epub(tmp / "fixed.epub", pages=4)),
        }
        yield base, lib, {**books, "tmp": tmp}


def served_text(lib: Library, book: dict[str, Any], tmp: Any) -> EpubText:
    path = tmp / f"served-{book['id']}.epub"
    path.write_bytes(lib.api.get(f"/api/library/{book['id']}/download/{book['files'][0]['id']}").content)
    return EpubText(path)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_epub_pages_turn_by_keys_taps_and_swipes_and_reload_keeps_the_page(browser, library, size) -> None:
    base, lib, books = library
    book = books["desktop" if size == DESKTOP else "phone"]
    text = served_text(lib, book, books["tmp"])
    context = new_context(browser, lib, size, PAGINATED)
    try:
        reader = Reader(context, base, book["id"], size)
        first = reader.progress()
        assert first.startswith("/body/DocFragment[")
        seen = [first]
        for action in ("key:ArrowRight", "tap:right", "swipe:left"):
            do(reader, action)
            seen.append(reader.wait_progress(lambda p, last=seen[-1]: p != last, action))
            assert text.text_at(seen[-1]), seen[-1]  # the XPointer resolves in the served file
        assert len(set(seen)) == 4, seen
        # Back again, page by page, to the very same first characters.
        for action, back_to in (("swipe:right", seen[2]), ("tap:left", seen[1]), ("key:ArrowLeft", seen[0])):
            do(reader, action)
            reader.wait_progress(lambda p, want=back_to: p == want, action)
        do(reader, "key:ArrowRight")
        here = reader.wait_progress(lambda p: p == seen[1], "forward again")
        reader.saved(here)
        got = kosync_get(base, book["files"][0]["koreaderHash"])
        assert got["progress"] == here and got["device"].startswith("Web reader")
        reader.reload()
        assert reader.progress() == here
        reader.clean()
    finally:
        context.close()


def do(reader: Reader, action: str) -> None:
    how, arg = action.split(":")
    if how == "key":
        reader.page.keyboard.press(arg)
    elif how == "tap":
        reader.tap(arg)
    else:
        reader.swipe(arg)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_display_settings_persist_across_reloads(browser, library, size) -> None:
    base, lib, books = library
    context = new_context(browser, lib, size)
    try:
        reader = Reader(context, base, books["settings"]["id"], size)
        page = reader.page
        assert page.evaluate("document.body.dataset.flow") == "paginated"
        page.click("[data-panel='settings']")
        page.select_option("[data-settings] select[name='flow']", "scrolled")
        page.select_option("[data-settings] select[name='theme']", "sepia")
        page.select_option("[data-settings] select[name='font']", "serif")
        page.fill("[data-settings] input[name='fontSize']", "140")
        reader.reload()
        assert page.evaluate("document.body.dataset.theme") == "sepia"
        assert page.evaluate("document.body.dataset.flow") == "scrolled"
        assert page.input_value("[data-settings] input[name='fontSize']") == "140"
        assert page.input_value("[data-settings] select[name='font']") == "serif"
        # ... and the book is drawn with them: foliate scrolls, and the chapter's text is 140 % and sepia.
        assert page.evaluate("document.querySelector('foliate-view').renderer.getAttribute('flow')") == "scrolled"
        style = page.evaluate("""(() => {
            const doc = document.querySelector('foliate-view').renderer.getContents()[0].doc;
            const cs = getComputedStyle(doc.documentElement);
            return [cs.fontSize, cs.backgroundColor];
        })()""")
        assert style == ["22.4px", "rgb(244, 236, 216)"], style
        reader.clean()
    finally:
        context.close()


def test_fixed_layout_epub_opens_and_turns(browser, library) -> None:
    base, lib, books = library
    book = books["fixed"]
    context = new_context(browser, lib, DESKTOP)
    try:
        reader = Reader(context, base, book["id"], DESKTOP)
        assert reader.progress().startswith("/body/DocFragment[1]/")
        captions = visible_fixed_text(reader)
        assert "Fixed page 1" in captions, captions
        reader.page.keyboard.press("ArrowRight")
        reader.wait_progress(lambda p: not p.startswith("/body/DocFragment[1]/"), "the next fixed page")
        assert "Fixed page 1" not in visible_fixed_text(reader)
        reader.clean()
    finally:
        context.close()


def visible_fixed_text(reader: Reader) -> str:
    return str(reader.page.evaluate("""(() => {
        const r = document.querySelector('foliate-view').renderer;
        return [...r.getContents()].map(c => c.doc.body.innerText).join(' | ');
    })()"""))  # fmt: skip
