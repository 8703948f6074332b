"""Large books in the web reader (Chromium): opened at a deep position by fetching byte ranges, never whole."""

from __future__ import annotations

from pathlib import Path

from bookshelf.formats.epub_spine import EpubText
from bookshelf.formats.xpointer import text_in_order, xpointer_of
from tests.reader_books import make_large_epub, make_large_pdf
from tests.reader_browser import DESKTOP, Reader, kosync_put, new_context, served_library


def fetched(reader: Reader, url: str) -> list[tuple[str | None, int, int]]:
    """(Range header, status, body bytes) of every request the reader made for the book's file."""
    out = []
    for request in reader.requests:
        if request.url.split("?")[0].endswith(url):
            response = request.response()
            out.append((request.headers.get("range"), response.status, len(response.body())))
    return out


def test_large_books_open_deep_inside_by_range_requests(browser, tmp_path: Path) -> None:
    epub_path = make_large_epub(tmp_path / "large.epub", megabytes=16, chapters=16)
    pdf_path = make_large_pdf(tmp_path / "long.pdf", pages=500)
    for base, lib in served_library(tmp_path / "data"):
        epub, pdf = lib.add(epub_path), lib.add(pdf_path)
        served = tmp_path / "served.epub"
        served.write_bytes(lib.api.get(f"/api/library/{epub['id']}/download/{epub['files'][0]['id']}").content)
        text = EpubText(served)
        body = text.body(13)
        line = [t for t in text_in_order(body) if t.value.startswith("Paragraph 13.90:")][0]
        target = xpointer_of(body, 13, line, 0)
        kosync_put(base, epub["files"][0]["koreaderHash"], target, 0.8)
        kosync_put(base, pdf["files"][0]["koreaderHash"], "437", 0.874)

        context = new_context(browser, lib, DESKTOP, '{"flow":"scrolled"}')
        try:
            reader = Reader(context, base, epub["id"], DESKTOP)
            assert reader.progress() == target
            parts = fetched(reader, f"/download/{epub['files'][0]['id']}")
            size = epub["files"][0]["size"]
            assert parts and all(r is not None and status == 206 for r, status, _ in parts), parts
            assert sum(n for _, _, n in parts) < size * 0.2, (sum(n for _, _, n in parts), size)
            reader.clean()

            reader = Reader(context, base, pdf["id"], DESKTOP)
            assert reader.progress() == "437"
            reader.page.wait_for_selector("canvas[data-page='437']", timeout=15000)
            parts = fetched(reader, f"/download/{pdf['files'][0]['id']}")
            size = pdf["files"][0]["size"]
            assert parts and all(r is not None and status == 206 for r, status, _ in parts), parts
            assert sum(n for _, _, n in parts) < size * 0.2, (sum(n for _, _, n in parts), size)
            reader.clean()
        finally:
            context.close()
