"""Ingest benchmark against `bookshelf serve` as a subprocess: drop -> review rate for 1,000 EPUBs,
single-drop latency, and GET /api/inbox latency while the 1,000 are ingested.

Files are written to a staging folder on the same filesystem and renamed into the inbox, as a
finished download or `mv` would appear. ``--lookups`` picks the metadata providers:

- ``off`` (the default here): metadataSources [], as every earlier figure was measured;
- ``unreachable``: the default settings, every provider URL on a closed loopback port, as on a
  machine without internet (only Open Library needs no credential, so only it is asked);
- ``fakes``: the default settings with credentials, all three providers as the local fakes of
  tests/fakes with 300 ms latency; also reports how long the lookups took, per provider.

    python scripts/bench/bench_ingest.py [--books 1000] [--lookups off|unreachable|fakes] [--settle S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.builders import make_epub, make_png  # noqa: E402
from tests.serve import running_server  # noqa: E402

LATENCY_S = 0.3

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def provider_env(lookups: str, stack: ExitStack) -> dict[str, str]:
    """Provider URLs (and credentials) for the server: a closed port, or the fakes with latency."""
    if lookups == "unreachable":
        dead = "http://127.0.0.1:9"
        return {"BOOKSHELF_OPENLIBRARY_URL": dead, "BOOKSHELF_OPENLIBRARY_COVERS_URL": dead,
                "BOOKSHELF_GOOGLE_BOOKS_URL": dead + "/books/v1",
                "BOOKSHELF_HARDCOVER_URL": dead + "/v1/graphql"}  # fmt: skip
    if lookups != "fakes":
        return {}
    from tests.fakes.google_books import FakeGoogleBooks
    from tests.fakes.hardcover import GOOD_TOKEN, FakeHardcover, schema
    from tests.fakes.openlibrary import FakeOpenLibrary
    from tests.fakes.server import serve_in_thread

    schema()
    fakes = {"google": FakeGoogleBooks.from_books([], key_mode="required"), "hardcover": FakeHardcover([]),
             "openlibrary": FakeOpenLibrary.from_books([])}  # fmt: skip
    urls = {}
    for name, fake in fakes.items():
        fake.delay = LATENCY_S
        urls[name] = stack.enter_context(serve_in_thread(fake.app))
    return {"BOOKSHELF_OPENLIBRARY_URL": urls["openlibrary"], "BOOKSHELF_OPENLIBRARY_COVERS_URL": urls["openlibrary"],
            "BOOKSHELF_GOOGLE_BOOKS_URL": urls["google"] + "/books/v1",
            "BOOKSHELF_HARDCOVER_URL": urls["hardcover"] + "/v1/graphql",
            "BOOKSHELF_HARDCOVER_TOKEN": GOOD_TOKEN, "BOOKSHELF_GOOGLE_BOOKS_API_KEY": "good-key"}  # fmt: skip


def run(books: int, settle: float | None, work: Path, lookups: str = "off") -> dict[str, Any]:
    print(f"generating {books} + 20 EPUBs in {work} ...", flush=True)
    bulk = make_books(work / "staging-bulk", books, "bulk")
    singles = make_books(work / "staging-single", 20, "single")
    data = work / "data"
    env = {"BOOKSHELF_LOG_LEVEL": "warning"}
    if settle is not None:
        env["BOOKSHELF_WATCH_SETTLE_SECONDS"] = str(settle)
    with ExitStack() as stack:
        env.update(provider_env(lookups, stack))
        server = stack.enter_context(running_server(data, env=env))
        result = measure(server, data, books, bulk, singles, lookups)
    result["settle_s"] = settle if settle is not None else 2.0
    return result


def measure(server: Any, data: Path, books: int, bulk: list[Path], singles: list[Path], lookups: str) -> dict[str, Any]:
    key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "bench"}).json()["key"]
    client = Client(server.base_url, key)
    if lookups == "off":
        client.http.patch("/api/settings", json={"metadataSources": []}).raise_for_status()
    inbox = data / "inbox"

    time.sleep(2.5)  # let the "moved" files' last write lie further back than the default settle time
    moved = single_drops(client, singles[:10], inbox, 0, fresh=False)
    fresh = single_drops(client, singles[10:], inbox, 10, fresh=True)

    samples: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_inbox, args=(client, stop, samples))
    load_before = load()
    cpu_before = cpu_seconds(server.process.pid)
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
    cpu = cpu_seconds(server.process.pid) - cpu_before
    waits = client.http.get("/api/inbox/processing", params={"include": "lookups"}).json()
    lookups_done = lookup_progress(client) if lookups == "fakes" else {}
    failed = httpx.get(server.base_url + "/api/jobs/failed", headers={"X-API-Key": key}).json()["total"]
    return {
        "books": books,
        "lookups": lookups,
        "load_before": load_before,
        "load_after": load(),
        "cpu_ms_per_book": cpu / books * 1000,
        "waiting_at_review": {n: p["waiting"] for n, p in waits["providers"].items()},
        "providers": {n: (p["state"], p["asked"]) for n, p in waits["providers"].items()},
        **lookups_done,
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


def lookup_progress(client: Client, window: float = 60.0) -> dict[str, Any]:
    """Requests each provider started during ``window`` seconds after every book was in review:
    at 60 a minute each, 1,000 books take about 17 minutes whatever we do, so the rate is the figure."""

    def asked() -> dict[str, int]:
        waits = client.http.get("/api/inbox/processing", params={"include": "lookups"}).json()
        return {n: p["asked"] for n, p in waits["providers"].items()}

    before = asked()
    time.sleep(window)
    after = asked()
    return {"lookup_window_s": window, "lookup_rates": {n: (after[n] - before.get(n, 0)) / window for n in after},
            "lookup_jobs": client.http.get("/api/jobs/status").json()["queues"]["metadata"]}  # fmt: skip


def report(r: dict[str, Any]) -> None:
    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"ingest [lookups {r['lookups']}]: {r['books']} EPUBs drop -> review in {r['elapsed_s']:.1f} s = "
          f"{r['rate']:.1f} books/s (target >= {TARGET_RATE:.0f}) {mark(r['rate'] >= TARGET_RATE)}")  # fmt: skip
    print(f"ingest: load average before {r['load_before']}, after {r['load_after']}; server CPU "
          f"{r['cpu_ms_per_book']:.1f} ms per book (shared machine: other work runs beside this)")  # fmt: skip
    if r["providers"]:
        print(f"ingest: providers (state, requests so far) when all were in review {r['providers']}; "
              f"books still waiting per provider {r['waiting_at_review']}")  # fmt: skip
    if "lookup_rates" in r:
        rates = ", ".join(f"{n} {v:.2f}/s" for n, v in r["lookup_rates"].items())
        print(f"ingest: requests per provider in the {r['lookup_window_s']:.0f} s after: {rates} (in parallel, "
              f"{LATENCY_S * 1000:.0f} ms each; limits 60/min); metadata jobs {r['lookup_jobs']}")  # fmt: skip
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
    parser.add_argument("--lookups", choices=("all", "off", "unreachable", "fakes"), default="all",
                        help="which providers the server asks (all: each scenario in turn)")  # fmt: skip
    args = parser.parse_args(argv)
    for lookups in ("off", "unreachable", "fakes") if args.lookups == "all" else (args.lookups,):
        if args.keep:
            report(run(args.books, args.settle, args.keep / lookups, lookups))
            continue
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
            report(run(args.books, args.settle, Path(work), lookups))


if __name__ == "__main__":
    main()
