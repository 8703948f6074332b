"""How long the web reader takes to open a large book at its remembered position, in Chromium.

    python scripts/bench/bench_reader.py [--epub-mb 50] [--pdf-pages 500] [--rounds 5]

Starts `bookshelf serve` on a temporary data folder, uploads a generated EPUB of about
``--epub-mb`` MB (prose chapters and incompressible images) and a ``--pdf-pages`` PDF, stores a
KOReader position deep inside each (a paragraph in a late chapter; page 437 or the last), then
opens /read/{id} in headless Chromium ``--rounds`` times each: the figure is from navigation to the
reader showing that position (body[data-ready]), with the bytes of the book fetched (Range
requests). Target: 2 s. Prints the load average beside the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bookshelf.formats.epub_spine import EpubText  # noqa: E402
from bookshelf.formats.xpointer import text_in_order, xpointer_of  # noqa: E402
from tests.reader_books import make_large_epub, make_large_pdf  # noqa: E402
from tests.reader_browser import kosync_put, served_library  # noqa: E402
from tests.ui_browser import ARGS, CHROMIUM  # noqa: E402

TARGET_S = 2.0


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def deep_xpointer(lib, book: dict, tmp: Path) -> str:
    served = tmp / "served.epub"
    served.write_bytes(lib.api.get(f"/api/library/{book['id']}/download/{book['files'][0]['id']}").content)
    text = EpubText(served)
    fragment = len(text.names) - 2
    body = text.body(fragment)
    lines = [t for t in text_in_order(body) if t.value.startswith("Paragraph ")]
    return xpointer_of(body, fragment, lines[len(lines) * 3 // 4], 0)


def open_times(browser, lib, base: str, book: dict, expected: str, rounds: int) -> tuple[list[float], int]:
    times, fetched = [], 0
    url = f"/download/{book['files'][0]['id']}"
    for _ in range(rounds):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        lib.sign_in(context)
        page = context.new_page()
        sizes: list[int] = []
        page.on("requestfinished", lambda r, s=sizes: s.append(r.sizes()["responseBodySize"]) if url in r.url else None)
        started = time.perf_counter()
        page.goto(f"{base}/read/{book['id']}")
        page.wait_for_selector("body[data-ready='1']", timeout=60000)
        times.append(time.perf_counter() - started)
        shown = page.evaluate("document.body.dataset.progress")
        if shown != expected:
            raise SystemExit(f"opened at {shown}, not at {expected}")
        fetched = max(fetched, sum(sizes))
        context.close()
    return times, fetched


def main(epub_mb: int = 50, pdf_pages: int = 500, rounds: int = 5) -> int:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        print("reader: /usr/bin/chromium is not installed; skipped")
        return 0
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-reader-") as raw:
        tmp = Path(raw)
        epub_path = make_large_epub(tmp / "large.epub", megabytes=epub_mb)
        pdf_path = make_large_pdf(tmp / "long.pdf", pages=pdf_pages)
        for base, lib in served_library(tmp / "data"):
            epub, pdf = lib.add(epub_path), lib.add(pdf_path)
            target = deep_xpointer(lib, epub, tmp)
            page_no = str(min(437, pdf_pages))
            kosync_put(base, epub["files"][0]["koreaderHash"], target, 0.75)
            kosync_put(base, pdf["files"][0]["koreaderHash"], page_no, int(page_no) / pdf_pages)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                for name, book, expected in (("epub", epub, target), ("pdf", pdf, page_no)):
                    times, fetched = open_times(browser, lib, base, book, expected, rounds)
                    size = book["files"][0]["size"]
                    worst = max(times)
                    failed |= worst > TARGET_S
                    print(f"reader {name}: {size / 1e6:.1f} MB, opened at {expected} in median "
                          f"{statistics.median(times):.2f} s, max {worst:.2f} s over {rounds} opens "
                          f"(target {TARGET_S:.0f} s); fetched {fetched / 1e6:.2f} MB "
                          f"({100 * fetched / size:.1f} %); {load()}", flush=True)  # fmt: skip
                browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epub-mb", type=int, default=50)
    parser.add_argument("--pdf-pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    raise SystemExit(main(args.epub_mb, args.pdf_pages, args.rounds))
