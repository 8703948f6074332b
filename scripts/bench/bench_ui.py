"""Server-side render time of each UI page for a signed-in session, against a generated library.

    python scripts/bench/bench_ui.py [--size 100000] [--data-dir DIR] [--rounds 200]

Without --data-dir the library comes from make_library.py, built once and
cached like bench_library.py's. Pages are rendered in-process through the
ASGI app (no network), so the figures are the server's own cost: median and
p95 of ``rounds`` requests per page, against a 100 ms target.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from bench_library import cached_library  # noqa: E402

from bookshelf.db.connection import fetchone  # noqa: E402
from bookshelf.runtime import Runtime  # noqa: E402
from bookshelf.settings import load  # noqa: E402
from bookshelf.web.app import create_app  # noqa: E402

PAGES = ("/", "/inbox", "/library", "/reading", "/stats", "/jobs", "/settings")
TARGET_MS = 100.0


async def run(data_dir: Path, rounds: int) -> bool:
    settings = load(environ={}, data_dir=str(data_dir), start_watcher=False, start_consumer=False)
    rt = await Runtime.open(settings, background=False)
    passed = True
    try:
        key, _raw = await rt.keys.setup("bench") if await rt.keys.count() == 0 else await rt.keys.create("bench-ui")
        cookie, _ = await rt.sessions.open_for(key.id)
        async with rt.db.read() as conn:
            row = await fetchone(conn, "SELECT id FROM books WHERE status = 'organized' ORDER BY num LIMIT 1", ())
            books = (await fetchone(conn, "SELECT count(*) FROM books", ()))[0]
        paths = [*PAGES, *([f"/books/{row[0]}"] if row else [])]
        print(f"ui pages against {books} books in {data_dir} ({rounds} requests each)")
        transport = httpx.ASGITransport(app=create_app(settings, rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            client.cookies.set("bookshelf_session", cookie)
            for path in paths:
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = await client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                times.sort()
                p95 = times[int(len(times) * 0.95)]
                ok = p95 < TARGET_MS
                passed &= ok
                label = "/books/{id}" if path.startswith("/books/") else path
                median = statistics.median(times)
                print(f"  {label:<12} median {median:7.2f} ms   p95 {p95:7.2f} ms   {'ok' if ok else 'SLOW'}")
    finally:
        await rt.close()
    print(f"all pages under {TARGET_MS:.0f} ms (p95)" if passed else f"some pages over {TARGET_MS:.0f} ms (p95)")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="books in the generated library")
    parser.add_argument("--data-dir", type=Path, help="an existing data folder instead of a generated library")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or cached_library(args.size)
    return 0 if asyncio.run(run(data_dir, args.rounds)) else 1


if __name__ == "__main__":
    sys.exit(main())
