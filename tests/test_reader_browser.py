"""The web reader in Chromium against `bookshelf serve`: KOReader round trips and never-backwards rules."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bookshelf.formats.epub_spine import EpubText
from bookshelf.formats.koreader_hash import koreader_partial_md5 as partial_md5
from tests.reader_library import Library
from tests.reading.helpers import koreader_headers
from tests.serve import running_server
from tests.strict import shared_path
from tests.ui_browser import launch_browser, watch


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from launch_browser()


def kosync_put(base: str, document: str, progress: str, percentage: float, device: str = "Kobo Libra") -> None:
    body = {"document": document, "progress": progress, "percentage": percentage, "device": device,
            "device_id": hashlib.md5(device.encode()).hexdigest().upper()}  # fmt: skip
    r = httpx.put(f"{base}/kosync/syncs/progress", json=body, headers=koreader_headers())
    assert r.status_code == 200, r.text


def kosync_get(base: str, document: str) -> dict[str, Any]:
    return httpx.get(f"{base}/kosync/syncs/progress/{document}", headers=koreader_headers()).json()


def open_reader(context: Any, base: str, book_id: str) -> tuple[Any, list[str], list[str]]:
    page = context.new_page()
    errors, foreign = watch(page, base)
    page.goto(f"{base}/read/{book_id}")
    page.wait_for_selector("body[data-ready='1']", timeout=30000)
    page.wait_for_timeout(300)
    return page, errors, foreign


def test_koreader_and_the_web_reader_share_one_exact_position(browser, tmp_path: Path) -> None:
    leaves = shared_path("koreader-test-data", "leaves.epub")
    with running_server(tmp_path / "data") as server:
        base = server.base_url
        lib = Library(base)
        try:
            _round_trips(browser, base, lib, leaves, tmp_path)
        finally:
            lib.close()


def _round_trips(browser: Any, base: str, lib: Library, leaves: Path, tmp_path: Path) -> None:
    book = lib.add(leaves)
    file = book["files"][0]
    old_id = partial_md5(leaves)  # the file as first uploaded; organize rewrote its metadata
    assert old_id != file["koreaderHash"]
    served = tmp_path / "served.epub"
    served.write_bytes(lib.api.get(f"/api/library/{book['id']}/download/{file['id']}").content)
    text = EpubText(served)
    target, expected = _deep_line(text)

    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        lib.sign_in(context)
        # Scrolled mode puts the position at the top of the screen, where we read it back.
        context.add_init_script("localStorage.setItem('bookshelf.reader.settings', '{\"flow\":\"scrolled\"}')")

        # KOReader -> web: a wire-format PUT against the OLD document id; the reader opens on that line.
        kosync_put(base, old_id, target, 0.05)
        writes_before = len(lib.api.get(f"/api/library/{book['id']}/progress").json()["devices"])
        page, errors, foreign = open_reader(context, base, book["id"])
        shown = page.evaluate("document.body.dataset.progress")
        # The line at the top is KOReader's line (the reader shows it from its first character).
        assert shown.rsplit(".", 1)[0] == target.rsplit(".", 1)[0], (shown, target)
        assert expected in (text.text_at(shown) or ""), (shown, text.text_at(shown))
        page.wait_for_timeout(1200)
        # Opening writes nothing: the latest position is still KOReader's.
        latest = kosync_get(base, file["koreaderHash"])
        assert latest["device"] == "Kobo Libra" and latest["progress"] == target
        assert len(lib.api.get(f"/api/library/{book['id']}/progress").json()["devices"]) == writes_before

        # web -> KOReader: turn pages; GET through either document id answers an XPointer of the same text.
        page.keyboard.press("PageDown")
        saved = _poll(lambda p=page: p.evaluate("document.body.dataset.saved"))
        for document in (file["koreaderHash"], old_id):
            got = kosync_get(base, document)
            assert got["document"] == document and got["device"].startswith("Web reader")
            assert got["progress"] == saved and text.text_at(got["progress"])
        after = page.evaluate("document.body.dataset.progress")
        assert text.text_at(after) == text.text_at(saved)

        # Reload: the same spot.
        page.reload()
        page.wait_for_selector("body[data-ready='1']", timeout=30000)
        page.wait_for_timeout(1500)  # any write still in flight from the last scroll
        saved = kosync_get(base, old_id)["progress"]
        page.reload()
        page.wait_for_selector("body[data-ready='1']", timeout=30000)
        assert page.evaluate("document.body.dataset.progress") == saved
        assert not errors, errors
        assert not foreign, foreign

        # Never backwards: KOReader writes an older position; on opening, the reader asks.
        kosync_put(base, old_id, target, 0.01)
        page2 = context.new_page()
        page2.goto(f"{base}/read/{book['id']}")
        page2.wait_for_selector("dialog[data-choice][open]", timeout=30000)
        question = page2.inner_text("[data-choice-text]")
        assert "from Kobo Libra" in question and "or stay at" in question, question
        page2.click("[data-choice-local]")
        page2.wait_for_selector("body[data-ready='1']")
        assert page2.evaluate("document.body.dataset.progress") == saved
        # The stale KOReader write is stored (last write wins) and the book page shows both.
        assert kosync_get(base, file["koreaderHash"])["device"] == "Kobo Libra"
        page2.goto(f"{base}/books/{book['id']}")
        devices = page2.inner_text("[data-devices]")
        assert "Kobo Libra" in devices and "Web reader" in devices
        assert page2.locator("[data-devices] a:has-text('Jump to')").count() >= 2
        context.close()


def _poll(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _deep_line(text: EpubText) -> tuple[str, str]:
    """An XPointer to a line two thirds into the longest chapter (so it can be scrolled to the top)."""
    from bookshelf.formats.xpointer import text_in_order, xpointer_of

    fragment = max(range(1, len(text.names) + 1), key=lambda n: len(text.zf.read(text.names[n - 1])))
    body = text.body(fragment)
    lines = [t for t in text_in_order(body) if len(t.value.strip()) > 20]
    line = lines[len(lines) * 2 // 3]
    start = len(line.value) - len(line.value.lstrip(" \xa0"))
    return xpointer_of(body, fragment, line, start), line.value[start:][:20]
