"""The web reader in Chromium against `bookshelf serve`, on leaves.epub: KOReader round trips, never backwards.

Each round trip and each never-backwards rule is one test. The text at the top of the page is read
from the rendered chapter itself (the text node under the first line of the reading area), not from
what the reader reports, so a position that lands one paragraph off fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from bookshelf.formats.epub_spine import EpubText
from bookshelf.formats.koreader_hash import koreader_partial_md5 as partial_md5
from bookshelf.formats.xpointer import XPointer, resolve, text_in_order, xpointer_of
from tests.reader_browser import DESKTOP, PHONE, Reader, kosync_get, kosync_put, new_context, served_library
from tests.reader_library import Library
from tests.strict import shared_path
from tests.ui_browser import wait_for

SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
# Scrolled mode puts the position at the top of the reading area, where it is read back.
SCROLLED = '{"flow":"scrolled"}'
# The text node drawn under the first line of the reading area, found by hit-testing the chapter.
TOP_TEXT = """() => {
  const r = document.querySelector('foliate-view').renderer;
  const view = document.querySelector('[data-view]').getBoundingClientRect();
  for (const { doc } of r.getContents()) {
    const f = doc.defaultView.frameElement.getBoundingClientRect();
    for (let y = Math.max(f.top, view.top) + 2; y < view.top + 160; y += 3) {
      for (let x = Math.max(f.left, view.left) + 2; x < Math.min(f.right, view.right); x += 5) {
        const c = doc.caretRangeFromPoint(x - f.left, y - f.top);
        const n = c && c.startContainer;
        if (!n || n.nodeType !== 3 || !n.data.trim()) continue;
        const all = doc.createRange();
        all.selectNodeContents(n);
        const fx = x - f.left, fy = y - f.top;
        if ([...all.getClientRects()].some((b) => fx >= b.left && fx <= b.right && fy >= b.top && fy <= b.bottom)) {
          return n.data;
        }
      }
    }
  }
  return null;
}"""


class Leaves:
    def __init__(self, base: str, lib: Library, book: dict[str, Any], old_id: str, text: EpubText) -> None:
        self.base, self.lib, self.book, self.old_id, self.text = base, lib, book, old_id, text
        self.id = book["id"]
        self.document = book["files"][0]["koreaderHash"]

    def line(self, share: float) -> str:
        """The XPointer of a line ``share`` of the way into the longest chapter (deep enough to scroll to)."""
        text = self.text
        fragment = max(range(1, len(text.names) + 1), key=lambda n: len(text.zf.read(text.names[n - 1])))
        body = text.body(fragment)
        lines = [t for t in text_in_order(body) if len(t.value.strip()) > 20]
        line = lines[int(len(lines) * share)]
        return xpointer_of(body, fragment, line, len(line.value) - len(line.value.lstrip(" \xa0")))

    def percent(self, share: float) -> float:
        """About where ``line(share)`` is in the whole book, as KOReader would send it."""
        sizes = [len(self.text.zf.read(name)) for name in self.text.names]
        longest = sizes.index(max(sizes))
        return round((sum(sizes[:longest]) + share * sizes[longest]) / sum(sizes), 4)

    def node_text(self, xpointer: str) -> str:
        """The whole text node an XPointer points into, as the server resolves it."""
        xp = XPointer.parse(xpointer)
        assert xp is not None, xpointer
        point = resolve(self.text.body(xp.fragment), xp)
        assert point is not None, f"{xpointer} does not resolve in the served file"
        return squash(point.node.value)

    def records(self) -> list[dict[str, Any]]:
        return list(self.lib.api.get(f"/api/library/{self.id}/progress").json()["devices"])


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def leaves(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leaves]:
    source = shared_path("koreader-test-data", "leaves.epub")
    tmp = tmp_path_factory.mktemp("leaves")
    for base, lib in served_library(tmp / "data"):
        book = lib.add(source)
        file = book["files"][0]
        old_id = partial_md5(source)  # the file as first uploaded; organize rewrote its metadata since
        assert old_id != file["koreaderHash"]
        served = tmp / "served.epub"
        served.write_bytes(lib.api.get(f"/api/library/{book['id']}/download/{file['id']}").content)
        yield Leaves(base, lib, book, old_id, EpubText(served))


def top_text(reader: Reader) -> str:
    return squash(wait_for(lambda: reader.page.evaluate(TOP_TEXT), "text drawn at the top of the reading area"))


def opens_on(reader: Reader, leaves: Leaves, xpointer: str) -> None:
    """The reader shows the text node of ``xpointer`` on its first line."""
    wanted = leaves.node_text(xpointer)
    deadline = time.monotonic() + 30
    while (got := top_text(reader)) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    assert got == wanted, (xpointer, got, wanted)


def moved_and_saved(reader: Reader) -> str:
    """Scroll on by a screen; the XPointer the reader then saved."""
    before = reader.progress()
    reader.page.keyboard.press("PageDown")
    here = reader.wait_progress(lambda p: p != before, "PageDown")
    wait_for(lambda: reader.page.evaluate("document.body.dataset.saved") == here, "the move saved", 30)
    return here


@SIZES
def test_a_koreader_put_opens_the_reader_on_that_paragraph(browser, leaves: Leaves, size) -> None:
    target = leaves.line(0.6 if size == DESKTOP else 0.4)
    kosync_put(leaves.base, leaves.document, target, leaves.percent(0.6))
    context = new_context(browser, leaves.lib, size, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, size)
        opens_on(reader, leaves, target)
        assert reader.progress() == target
        assert reader.page.locator("[data-notice]").is_hidden()
        reader.clean()
    finally:
        context.close()


@SIZES
def test_a_move_in_the_reader_reaches_koreader_as_an_xpointer_of_the_same_text(browser, leaves: Leaves, size) -> None:
    kosync_put(leaves.base, leaves.document, leaves.line(0.5), leaves.percent(0.5))
    context = new_context(browser, leaves.lib, size, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, size)
        saved = moved_and_saved(reader)
        got = kosync_get(leaves.base, leaves.document)
        assert got["device"].startswith("Web reader") and got["progress"] == saved
        # KOReader's pull names the text node the reader shows at its top.
        assert leaves.node_text(got["progress"]) == top_text(reader)
        reader.reload()
        opens_on(reader, leaves, saved)
        reader.clean()
    finally:
        context.close()


def test_both_directions_through_an_older_document_id_of_the_book(browser, leaves: Leaves) -> None:
    target = leaves.line(0.7)
    kosync_put(leaves.base, leaves.old_id, target, leaves.percent(0.7))  # a KOReader holding the file as first uploaded
    context = new_context(browser, leaves.lib, PHONE, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, PHONE)
        opens_on(reader, leaves, target)
        saved = moved_and_saved(reader)
        got = kosync_get(leaves.base, leaves.old_id)
        assert got["document"] == leaves.old_id and got["device"].startswith("Web reader")
        assert got["progress"] == saved and leaves.node_text(saved) == top_text(reader)
        reader.clean()
    finally:
        context.close()


def test_opening_and_reloading_write_nothing(browser, leaves: Leaves) -> None:
    kosync_put(leaves.base, leaves.document, leaves.line(0.3), leaves.percent(0.3))
    before = leaves.records()
    context = new_context(browser, leaves.lib, DESKTOP, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, DESKTOP)
        reader.reload()
        # Longer than the reader's write delay (0.8 s) twice over, with the page shown all along.
        reader.page.wait_for_timeout(2500)
        assert not [r for r in reader.requests if r.method == "PUT"]
        assert leaves.records() == before
        assert kosync_get(leaves.base, leaves.document)["device"] == "Kobo Libra"
        reader.clean()
    finally:
        context.close()


def test_the_reader_asks_when_another_device_is_behind_what_it_showed(browser, leaves: Leaves) -> None:
    behind, behind_pct = leaves.line(0.2), leaves.percent(0.2)
    kosync_put(leaves.base, leaves.document, leaves.line(0.8), leaves.percent(0.8))
    context = new_context(browser, leaves.lib, PHONE, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, PHONE)
        shown = moved_and_saved(reader)
        kosync_put(leaves.base, leaves.old_id, behind, behind_pct)  # the Kobo syncs an older page
        for choice, lands in (("local", shown), ("remote", behind)):
            reader.page.reload()
            reader.page.wait_for_selector("dialog[data-choice][open]", timeout=30000)
            question = reader.page.inner_text("[data-choice-text]")
            wanted = f"Continue at {int(behind_pct * 100)} % from Kobo Libra, just now, or stay at "
            assert question.startswith(wanted), question
            reader.page.click(f"[data-choice-{choice}]")
            reader.ready()
            opens_on(reader, leaves, lands)
            if choice == "local":
                # Staying writes nothing: the Kobo's position is still the latest.
                reader.page.wait_for_timeout(1500)
                assert kosync_get(leaves.base, leaves.document)["progress"] == behind
        reader.clean()
    finally:
        context.close()


def test_a_stale_koreader_put_is_kept_and_the_book_page_offers_both(browser, leaves: Leaves) -> None:
    kosync_put(leaves.base, leaves.document, leaves.line(0.6), leaves.percent(0.6))
    context = new_context(browser, leaves.lib, DESKTOP, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, DESKTOP)
        web = moved_and_saved(reader)
        stale = leaves.line(0.1)
        # The same Kobo, now with the older copy of the file: its record there is the newer of its two.
        kosync_put(leaves.base, leaves.old_id, stale, leaves.percent(0.1))
        # Last write wins on the wire: KOReader's pull answers the stale write it made ...
        assert kosync_get(leaves.base, leaves.document)["progress"] == stale
        # ... and the book page shows both, each device once, the latest marked as behind, with "Jump to".
        page = reader.page
        page.goto(f"{leaves.base}/books/{leaves.id}")
        rows = page.locator("[data-devices] li")
        kobo = rows.filter(has=page.locator("strong", has_text="Kobo Libra"))
        assert kobo.count() == 1, rows.all_inner_texts()  # once, though it synced two copies of the book
        # Every browser of the earlier tests is a device of its own; this one is found by its id.
        mine = page.evaluate("localStorage.getItem('bookshelf.reader.deviceId')")
        browser_row = rows.filter(has=page.locator(f"a[href$='?jump={mine}']"))
        assert browser_row.count() == 1 and "Web reader" in browser_row.inner_text()
        assert "(latest, behind Web reader" in kobo.inner_text()
        for row, lands in ((browser_row, web), (kobo, stale)):
            row.locator("a:has-text('Jump to')").click()
            reader.ready()
            assert not page.locator("dialog[data-choice][open]").count()
            opens_on(reader, leaves, lands)
            page.go_back()
        reader.clean()
    finally:
        context.close()


def test_an_xpointer_that_no_longer_resolves_opens_at_the_percentage_and_says_so(browser, leaves: Leaves) -> None:
    kosync_put(leaves.base, leaves.document, "/body/DocFragment[3]/body/div[40]/p[900]/text().4", 0.43)
    context = new_context(browser, leaves.lib, PHONE, SCROLLED)
    try:
        reader = Reader(context, leaves.base, leaves.id, PHONE)
        notice = reader.page.locator("[data-notice]")
        assert notice.inner_text() == "Opened at 43 %: the exact spot was not found"
        assert 40 <= int(reader.page.inner_text("[data-percent]").split()[0]) <= 46
        reader.clean()
    finally:
        context.close()
