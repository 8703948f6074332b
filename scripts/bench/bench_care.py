"""Library care at scale: bulk approve, bulk delete, restore and purge of 500 books.

Run: python scripts/bench/bench_care.py [--books 500]
Prints books/s for each step, in process, through the services the API handlers call
(each delete and restore commits durably and fsyncs the folders it changes).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the review-book seeding helper lives with the tests


async def run(books: int) -> dict[str, float]:
    from bookshelf.runtime import Runtime
    from bookshelf.settings import load
    from tests.care.review_books import review_books

    with tempfile.TemporaryDirectory(prefix="bench-care-") as tmp:
        settings = load(environ={}, data_dir=str(Path(tmp) / "data"), start_watcher=False, start_consumer=False)
        rt = await Runtime.open(settings, background=False)
        try:
            ids = await review_books(rt, books)
            figures: dict[str, float] = {}
            started = time.perf_counter()
            results = await rt.bulk.approve(ids, "file_first")
            figures["bulk approve books/s"] = books / (time.perf_counter() - started)
            assert all(r["status"] == "approved" for r in results), results[:3]
            started = time.perf_counter()
            results = await rt.bulk.delete(ids, keep_files=False)
            figures["bulk delete books/s"] = books / (time.perf_counter() - started)
            assert all(r["status"] == "deleted" for r in results), results[:3]
            started = time.perf_counter()
            pages = (books + 99) // 100
            for page in range(1, pages + 1):
                await rt.trash.listing(page, 100)
            figures["trash listing pages/s"] = pages / (time.perf_counter() - started)
            from bookshelf.db import trash as trash_rows

            async with rt.db.read() as conn:
                trash_ids = await trash_rows.ids(conn)
            started = time.perf_counter()
            for trash_id in trash_ids:
                await rt.trash.restore(trash_id)
            figures["restore books/s"] = books / (time.perf_counter() - started)
            await rt.bulk.delete(ids, keep_files=False)
            started = time.perf_counter()
            purged = await rt.trash.empty()
            figures["empty trash books/s"] = purged / (time.perf_counter() - started)
            return figures
        finally:
            await rt.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--books", type=int, default=500)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.books))
    print(f"library care, {args.books} books")
    for label, value in figures.items():
        print(f"  {label:28} {value:8.1f}")


if __name__ == "__main__":
    main()
