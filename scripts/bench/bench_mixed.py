"""Mixed load: 50 clients browse, search, read OPDS feeds, download and sync while 500 books ingest.

Run: python scripts/bench/bench_mixed.py [--seconds 60] [--clients 50] [--books 10000] [--drops 500]

A generated library (scripts/bench/make_library.py, cached between runs) is copied into a temp
data folder, `bookshelf serve` starts on it as a subprocess, 500 real EPUBs are dropped into its
inbox, and the clients run until the time is up. Prints per-endpoint counts, errors, p50 and p99,
the ingest progress and the server's peak RSS. Targets: zero errors, RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from bench_library import RssSampler, api_key, cached_library, percentile  # noqa: E402

from tests.builders import make_epub  # noqa: E402
from tests.serve import running_server  # noqa: E402

OPDS_USER, OPDS_PASSWORD = "bench", "bench-opds"
KOSYNC_USER, KOSYNC_PASSWORD = "bench", "bench-kosync"
RSS_TARGET_MB = 200
WORDS = ["love", "night", "river", "garden", "winter", "house", "shadow", "city", "letters", "sea", "mirror"]
# (endpoint name, weight): what a household of readers and their devices does.
MIX = [("library page", 14), ("library search", 12), ("book detail", 8), ("opds root", 4), ("opds all", 8),
       ("opds search", 6), ("download", 6), ("opds download", 4), ("kosync put", 24), ("kosync get", 14)]  # fmt: skip


def sample_books(data_dir: Path, count: int = 2000) -> list[tuple[str, str, str]]:
    """(book id, file id, koreader hash) of organized books, read before the server starts."""
    conn = sqlite3.connect(data_dir / "bookshelf.db")
    try:
        return conn.execute(
            "SELECT b.id, f.id, f.koreader_hash FROM books b JOIN files f ON f.book_id = b.id "
            "WHERE b.status = 'organized' ORDER BY random() LIMIT ?", (count,)
        ).fetchall()  # fmt: skip
    finally:
        conn.close()


def make_drops(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_epub(folder / f"drop {n:04}.epub", title=f"Mixed Load Drop {n}", authors=[f"Dropper {n % 40}"],
                      uid=f"urn:uuid:mixed-{n}", body_bytes=20_000 + n * 37 % 50_000)  # fmt: skip
            for n in range(count)]  # fmt: skip


def request_for(name: str, rng: random.Random, books: list[tuple[str, str, str]], n: int) -> tuple[str, str, dict]:
    book_id, file_id, koreader = rng.choice(books)
    word = rng.choice(WORDS)
    if name == "library page":
        sort = rng.choice(["title_asc", "author_asc", "added_newest"])
        return "GET", f"/api/library?page={rng.randrange(1, 50)}&sort={sort}", {}
    if name == "library search":
        return "GET", f"/api/library?q={word}", {}
    if name == "book detail":
        return "GET", f"/api/library/{book_id}", {}
    if name == "opds root":
        return "GET", "/opds", {}
    if name == "opds all":
        return "GET", f"/opds/all?page={rng.randrange(1, 40)}", {}
    if name == "opds search":
        return "GET", f"/opds/search?q={word}", {}
    if name == "download":
        return "GET", f"/api/library/{book_id}/download/{file_id}", {}
    if name == "opds download":
        return "GET", f"/opds/books/{book_id}/download/{file_id}", {}
    if name == "kosync put":
        body = {"document": koreader, "progress": f"/body/DocFragment[{n}]", "percentage": round(rng.random(), 4),
                "device": "bench", "device_id": f"{rng.randrange(50):032X}"}  # fmt: skip
        return "PUT", "/kosync/syncs/progress", {"content": json.dumps(body)}
    return "GET", f"/kosync/syncs/progress/{koreader}", {}


def headers_for(name: str, key: str) -> dict[str, str] | None:
    if name.startswith("kosync"):
        return {"accept": "application/vnd.koreader.v1+json", "x-auth-user": KOSYNC_USER,
                "x-auth-key": hashlib.md5(KOSYNC_PASSWORD.encode()).hexdigest()}  # fmt: skip
    if name.startswith("opds"):
        return None  # Basic auth is set per request
    return {"X-API-Key": key}


async def client_loop(base_url: str, key: str, books: list, seconds: float, seed: int,
                      latencies: dict[str, list[float]], errors: dict[str, list[str]]) -> None:  # fmt: skip
    rng = random.Random(seed)
    names, weights = zip(*MIX, strict=True)
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            name = rng.choices(names, weights)[0]
            method, url, extra = request_for(name, rng, books, seed * 1_000_000 + n)
            auth = (OPDS_USER, OPDS_PASSWORD) if name.startswith("opds") else None
            started = time.perf_counter()
            try:
                response = await http.request(method, url, headers=headers_for(name, key), auth=auth, **extra)
                await response.aread()
                failed = None if response.status_code == 200 else f"{response.status_code} {url}"
            except httpx.HTTPError as exc:
                failed = f"{type(exc).__name__} {url}"
            latencies[name].append(time.perf_counter() - started)
            if failed:
                errors[name].append(failed)


def ingested(data_dir: Path) -> dict[str, int]:
    """Where the dropped books are: by book status, plus files not yet taken from the inbox folder."""
    conn = sqlite3.connect(f"file:{data_dir / 'bookshelf.db'}?mode=ro", uri=True, timeout=10)
    try:
        # Before parsing, a book's title is its file name ("drop 0001").
        rows = conn.execute("SELECT coalesce(stage, status), count(*) FROM books WHERE title LIKE "
                            "'Mixed Load Drop %' OR title LIKE 'drop ____' GROUP BY 1").fetchall()  # fmt: skip
    finally:
        conn.close()
    counts = dict(rows)
    counts["still in inbox folder"] = sum(1 for p in (data_dir / "inbox").iterdir() if p.is_file())
    return counts


def run(seconds: float, clients: int, books: int, drops: int) -> dict[str, object]:
    base = cached_library(books)
    with tempfile.TemporaryDirectory(prefix="bookshelf-mixed-") as temp:
        data_dir = Path(temp) / "data"
        shutil.copytree(base, data_dir, symlinks=True)
        key = api_key(data_dir)
        sample = sample_books(data_dir)
        files = make_drops(Path(temp) / "staging", drops)
        env = {"BOOKSHELF_OPDS_USERNAME": OPDS_USER, "BOOKSHELF_OPDS_PASSWORD": OPDS_PASSWORD,
               "BOOKSHELF_KOSYNC_USERNAME": KOSYNC_USER, "BOOKSHELF_KOSYNC_PASSWORD": KOSYNC_PASSWORD,
               "BOOKSHELF_WATCH_SETTLE_SECONDS": "0.5"}  # fmt: skip
        with running_server(data_dir, env=env, ready_timeout=120) as server:
            httpx.patch(server.base_url + "/api/settings", headers={"X-API-Key": key},
                        json={"metadataSources": []}).raise_for_status()  # fmt: skip
            latencies: dict[str, list[float]] = defaultdict(list)
            errors: dict[str, list[str]] = defaultdict(list)
            dropper = threading.Thread(target=lambda: [shutil.copy(f, data_dir / "inbox" / f.name) for f in files])
            with RssSampler(server.process.pid) as rss:
                started = time.monotonic()
                dropper.start()
                asyncio.run(_all(server.base_url, key, sample, seconds, clients, latencies, errors))
                elapsed = time.monotonic() - started
                dropper.join()
                done = ingested(data_dir)
            log_errors = server.log().count("Traceback")
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "ingested": done, "drops": drops,
            "rss_mb": rss.peak_kb / 1024, "rss_anon_mb": rss.peak_anon_kb / 1024, "tracebacks": log_errors}  # fmt: skip


async def _all(base_url: str, key: str, sample: list, seconds: float, clients: int,
               latencies: dict[str, list[float]], errors: dict[str, list[str]]) -> None:  # fmt: skip
    await asyncio.gather(*(client_loop(base_url, key, sample, seconds, n + 1, latencies, errors)
                           for n in range(clients)))  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--drops", type=int, default=500)
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    result = run(args.seconds, args.clients, args.books, args.drops)
    latencies, errors = result["latencies"], result["errors"]
    assert isinstance(latencies, dict) and isinstance(errors, dict)
    total = sum(len(v) for v in latencies.values())
    print(f"  {args.clients} clients, {result['elapsed']:.0f} s, library {args.books} books, {total} requests "
          f"({total / float(result['elapsed']):.0f}/s)")  # fmt: skip
    print(f"  {'endpoint':16} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for name, _ in MIX:
        values = latencies.get(name) or [0.0]
        print(f"  {name:16} {len(latencies.get(name, [])):8} {len(errors.get(name, [])):6} "
              f"{percentile(values, 0.5) * 1000:7.1f} {percentile(values, 0.99) * 1000:7.1f}")  # fmt: skip
    error_count = sum(len(v) for v in errors.values())
    for name, found in errors.items():
        for line in found[:3]:
            print(f"  error {name}: {line}")
    print(f"  errors {error_count} (target 0); server tracebacks {result['tracebacks']}")
    states = result["ingested"]
    assert isinstance(states, dict)
    print(f"  {result['drops']} dropped books at the end: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    rss, anon = result["rss_mb"], result["rss_anon_mb"]
    print(f"  server peak RSS {rss:.0f} MB (anon {anon:.0f} MB; target < {RSS_TARGET_MB})")
    return result


if __name__ == "__main__":
    main()
