"""Organize throughput: 1,000 EPUB books moved into the library with metadata embedded.

Run: python scripts/bench/bench_organize.py [--books 1000]   (target: >= 20 books/s on 2 cores)
Prints books/s for the first organize (copy, rewrite, verify, hash, journaled move),
an unchanged re-run (nothing touched) and a template change (moves only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the EPUB builder and seeding helpers live with the tests

TARGET = 20.0


async def run(books: int, body_bytes: int) -> dict[str, float]:
    from bookshelf.runtime import Runtime
    from bookshelf.settings import load
    from tests.seed import add_book

    with tempfile.TemporaryDirectory(prefix="bench-organize-") as tmp:
        settings = load(environ={}, data_dir=str(Path(tmp) / "data"), start_watcher=False, start_consumer=False)
        rt = await Runtime.open(settings, background=False)
        try:
            for n in range(books):
                await add_book(rt, f"Book {n:04}", [f"Author {n % 50}"], status="organized", series=f"Saga {n % 9}",
                               series_index=float(n % 20), description="A description.\n\nTwo paragraphs.",
                               body_bytes=body_bytes)  # fmt: skip
            figures = {}
            for label, change in (("first organize (embed + move)", None), ("unchanged re-run", None),
                                  ("template change (move only)", "{author}/{series}/{title}")):  # fmt: skip
                if change:
                    await rt.preferences.patch({"organizeTemplate": change})
                started = time.perf_counter()
                totals = await rt.organizer.reorganize_all()
                elapsed = time.perf_counter() - started
                figures[label] = books / elapsed
                print(f"  {label:32s} {books / elapsed:8.1f} books/s  ({elapsed:.2f} s, {totals})")
            return figures
        finally:
            await rt.close()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--body-kb", type=int, default=200, help="text per EPUB, KB (default 200)")
    args = parser.parse_args(argv)
    print(f"bench_organize: {args.books} EPUBs of ~{args.body_kb} KB text, {os.cpu_count()} CPUs")
    figures = asyncio.run(run(args.books, args.body_kb * 1024))
    first = figures["first organize (embed + move)"]
    verdict = "meets" if first >= TARGET else "MISSES"
    print(f"bench_organize: {first:.1f} books/s with embedding ({verdict} the {TARGET:.0f} books/s target)")
    return figures


if __name__ == "__main__":
    main()
