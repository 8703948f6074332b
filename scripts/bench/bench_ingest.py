"""Ingest benchmark against `bookshelf serve` as a subprocess: drop -> review rate for 1,000 EPUBs,
single-drop latency, and GET /api/inbox latency while the 1,000 are ingested.

Metadata lookup is off (metadataSources []). Files are written to a staging folder on the same
filesystem and renamed into the inbox, as a finished download or `mv` would appear.

    python scripts/bench/bench_ingest.py [--books 1000] [--settle SECONDS] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.builders import make_epub, make_png  # noqa: E402
from tests.serve import running_server  # noqa: E402

TARGET_RATE = 40.0
TARGET_LATENCY_S = 2.0
TARGET_P99_MS = 100.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def make_books(folder: Path, count: int, prefix: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cover = make_png(300, 450)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}-{i:04d}.epub"
        make_epub(path, title=f"{prefix.title()} Book {i:04d}", authors=[f"Author {i % 97}"],
                  description="A benchmark book. " * 20, cover=cover if i % 2 == 0 else None,
                  body_bytes=20_000)  # fmt: skip
        paths.append(path)
    return paths


class Client:
    def __init__(self, base: str, key: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30)

    def review_count(self) -> int:
        return int(self.http.get("/api/inbox/count").json()["byStatus"]["review"])

    def inbox_count(self) -> int:
        return int(self.http.get("/api/inbox/count").json()["count"])


def wait_review(client: Client, expected: int, timeout: float, interval: float = 0.01) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.review_count() >= expected:
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"{expected} books not in review after {timeout}s (have {client.review_count()})")


def single_drops(client: Client, staging: list[Path], inbox: Path, have: int, fresh: bool) -> list[float]:
    """One file at a time. ``fresh``: written just now (a plain cp), so it must wait out the settle
    time; otherwise finished earlier and moved in (mv, a finished download), taken at once."""
    latencies = []
    for path in staging:
        if fresh:
            os.utime(path)
        start = time.monotonic()
        os.rename(path, inbox / path.name)
        have += 1
        latencies.append(wait_review(client, have, 30) - start)
    return latencies


def poll_inbox(client: Client, stop: threading.Event, samples: list[float]) -> None:
    http = httpx.Client(base_url=str(client.http.base_url), headers=dict(client.http.headers), timeout=30)
    while not stop.is_set():
        start = time.perf_counter()
        response = http.get("/api/inbox", params={"limit": 20})
        samples.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        stop.wait(0.02)


def run(books: int, settle: float | None, work: Path) -> dict[str, float]:
    print(f"generating {books} + 20 EPUBs in {work} ...", flush=True)
    bulk = make_books(work / "staging-bulk", books, "bulk")
    singles = make_books(work / "staging-single", 20, "single")
    data = work / "data"
    env = {"BOOKSHELF_LOG_LEVEL": "warning"}
    if settle is not None:
        env["BOOKSHELF_WATCH_SETTLE_SECONDS"] = str(settle)
    with running_server(data, env=env) as server:
        key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "bench"}).json()["key"]
        client = Client(server.base_url, key)
        client.http.patch("/api/settings", json={"metadataSources": []}).raise_for_status()
        inbox = data / "inbox"

        time.sleep(2.5)  # let the "moved" files' last write lie further back than the default settle time
        moved = single_drops(client, singles[:10], inbox, 0, fresh=False)
        fresh = single_drops(client, singles[10:], inbox, 10, fresh=True)

        samples: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll_inbox, args=(client, stop, samples))
        poller.start()
        start = time.monotonic()
        for path in bulk:
            os.rename(path, inbox / path.name)
        dropped = time.monotonic() - start
        while client.inbox_count() < len(singles) + books:  # every file taken into the inbox
            time.sleep(0.1)
        taken = time.monotonic() - start
        end = wait_review(client, len(singles) + books, timeout=max(120.0, books), interval=0.1)
        stop.set()
        poller.join()
        elapsed = end - start
        failed = httpx.get(server.base_url + "/api/jobs/failed", headers={"X-API-Key": key}).json()["total"]
    return {
        "books": books,
        "settle_s": settle if settle is not None else 2.0,
        "drop_s": dropped,
        "taken_s": taken,
        "elapsed_s": elapsed,
        "rate": books / elapsed,
        "moved_median_s": statistics.median(moved),
        "moved_max_s": max(moved),
        "fresh_median_s": statistics.median(fresh),
        "fresh_max_s": max(fresh),
        "inbox_p50_ms": percentile(samples, 50),
        "inbox_p99_ms": percentile(samples, 99),
        "inbox_requests": len(samples),
        "failed_jobs": failed,
    }


def report(r: dict[str, float]) -> None:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"ingest: {r['books']} EPUBs drop -> review in {r['elapsed_s']:.1f} s = {r['rate']:.1f} books/s "
          f"(target >= {TARGET_RATE:.0f}) {mark(r['rate'] >= TARGET_RATE)}")  # fmt: skip
    print(f"ingest: all {r['books']} taken from the inbox folder after {r['taken_s']:.1f} s")
    print(f"ingest: single drop (moved in, finished earlier) -> review median {r['moved_median_s'] * 1000:.0f} ms, "
          f"max {r['moved_max_s'] * 1000:.0f} ms (target < {TARGET_LATENCY_S:.0f} s) "
          f"{mark(r['moved_median_s'] < TARGET_LATENCY_S)}")  # fmt: skip
    print(f"ingest: single drop (written just now) -> review median {r['fresh_median_s'] * 1000:.0f} ms, "
          f"max {r['fresh_max_s'] * 1000:.0f} ms (includes the {r['settle_s']} s settle wait)")  # fmt: skip
    print(f"ingest: GET /api/inbox during the drop p50 {r['inbox_p50_ms']:.1f} ms, p99 {r['inbox_p99_ms']:.1f} ms "
          f"over {r['inbox_requests']} requests (target p99 < {TARGET_P99_MS:.0f} ms) "
          f"{mark(r['inbox_p99_ms'] < TARGET_P99_MS)}")  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"ingest: failed jobs {r['failed_jobs']}; {os.cpu_count()} CPUs, load average {load} at the end")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--settle", type=float, help="BOOKSHELF_WATCH_SETTLE_SECONDS for the server (default 2.0)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    if args.keep:
        report(run(args.books, args.settle, args.keep))
        return
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        report(run(args.books, args.settle, Path(work)))


if __name__ == "__main__":
    main()
