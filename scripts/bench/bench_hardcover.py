"""Hardcover sync cost against the fake Hardcover on a loopback port (prints figures; not a test).

Measures what bookshelf itself spends (wall time, requests per book) with the rate limiter on a
simulated clock, and what the same run would take against the real service at its 60-a-minute
limit (the simulated time).

Usage: python scripts/bench/bench_hardcover.py [--books 300] [--changed 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bookshelf.runtime import Runtime  # noqa: E402
from bookshelf.services.hardcover.sync import sync_limiter  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.common import FakeClock  # noqa: E402
from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover  # noqa: E402
from tests.fakes.server import serve_in_thread  # noqa: E402
from tests.hardcover.helpers import add_book, catalogue, isbn13, set_state  # noqa: E402


async def _bench(books: int, changed: int) -> None:
    fake_clock = FakeClock()
    fake = FakeHardcover.from_books(catalogue(books), clock=fake_clock, daily_limit=10**9)
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(fake.app) as base:
        rt = await Runtime.open(make_settings(Path(tmp), hardcover_url=base + "/v1/graphql"), background=False)
        try:
            rt.hardcover.make_limiter = functools.partial(sync_limiter, clock=fake_clock, sleep=fake_clock.sleep)
            await rt.credentials.set("hardcover", {"token": GOOD_TOKEN})
            ids = []
            for n in range(1, books + 1):
                book = await add_book(rt, f"Harbour Lights Volume {n}", [f"Author Number{n}"], isbn=isbn13(n))
                await set_state(rt, book.id, (n % 90) / 100 + 0.05, read_days_ago=n / 100)
                ids.append(book.id)

            async def run(label: str) -> None:
                requests, simulated = len(fake.requests), fake_clock.now
                started = time.perf_counter()
                result = await rt.hardcover.sync_now()
                wall = time.perf_counter() - started
                sent = len(fake.requests) - requests
                minutes = (fake_clock.now - simulated) / 60
                print(f"{label:<34} {wall:7.2f} s wall  {sent:5d} requests  {sent / books:5.2f}/book  "
                      f"{minutes:6.1f} min at Hardcover's pace  busiest minute {fake.requests_within(60)}  "
                      f"({result.summary() if result else 'stopped'})")  # fmt: skip

            await run(f"first sync, {books} books")
            await run("re-run, nothing changed")
            for book_id in ids[:changed]:
                await set_state(rt, book_id, 0.97)
            await run(f"re-run, {changed} books progressed")
        finally:
            await rt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--books", type=int, default=300)
    parser.add_argument("--changed", type=int, default=20)
    args, _ = parser.parse_known_args()
    asyncio.run(_bench(args.books, args.changed))


if __name__ == "__main__":
    main()
