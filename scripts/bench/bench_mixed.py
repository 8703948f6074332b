"""Mixed load: 50 clients browse, search, read OPDS feeds, download and sync while 500 books ingest.

Run: python scripts/bench/bench_mixed.py [--seconds 60] [--clients 50] [--books 10000] [--drops 500]
                                         [--mix crowd|household] [--no-baseline]

``--mix household``: 4 clients (one browsing the web UI's API, one OPDS reader app, two KOReaders
syncing), each pausing 0.1-0.5 s between requests, as a family would. Unless ``--no-baseline``,
the same clients first run for the same time with no drops, so the cost of ingest shows as a
ratio. Each row prints the load average before and after and the server's CPU time per request
(the machine is shared: a high load average means a noisy run, not a slow server).

A generated library (scripts/bench/make_library.py, cached between runs) is copied into a temp
data folder, `bookshelf serve` starts on it as a subprocess, 500 real EPUBs are dropped into its
inbox, and the clients run until the time is up. Prints per-endpoint counts, errors, p50 and p99,
the ingest progress and the server's peak RSS. Targets: zero errors, RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(HERE)]

from bench_library import RssSampler, api_key, cached_library, percentile  # noqa: E402
from rawhttp import Client, request  # noqa: E402

from tests.builders import make_epub  # noqa: E402
from tests.serve import running_server  # noqa: E402

OPDS_USER, OPDS_PASSWORD = "bench", "bench-opds"
KOSYNC_USER, KOSYNC_PASSWORD = "bench", "bench-kosync"
RSS_TARGET_MB = 200
WORDS = ["love", "night", "river", "garden", "winter", "house", "shadow", "city", "letters", "sea", "mirror"]
# (endpoint name, weight): what a household of readers and their devices does.
MIX = [("library page", 14), ("library search", 12), ("book detail", 8), ("opds root", 4), ("opds all", 8),
       ("opds search", 6), ("download", 6), ("opds download", 4), ("kosync put", 24), ("kosync get", 14)]  # fmt: skip


# The household: who does what (clients are assigned in this order) and the pause between requests.
HOUSEHOLD = [
    [("library page", 4), ("library search", 3), ("book detail", 3), ("download", 1)],
    [("opds root", 1), ("opds all", 4), ("opds search", 2), ("opds download", 1)],
    [("kosync put", 3), ("kosync get", 1)],
    [("kosync put", 3), ("kosync get", 1)],
]
HOUSEHOLD_PAUSE = (0.1, 0.5)
WARMUP_SECONDS = 5.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


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


def request_for(name: str, rng: random.Random, books: list[tuple[str, str, str]], n: int) -> tuple[str, str, bytes]:
    book_id, file_id, koreader = rng.choice(books)
    word = rng.choice(WORDS)
    if name == "library page":
        sort = rng.choice(["title_asc", "author_asc", "added_newest"])
        return "GET", f"/api/library?page={rng.randrange(1, 50)}&sort={sort}", b""
    if name == "library search":
        return "GET", f"/api/library?q={word}", b""
    if name == "book detail":
        return "GET", f"/api/library/{book_id}", b""
    if name == "opds root":
        return "GET", "/opds", b""
    if name == "opds all":
        return "GET", f"/opds/all?page={rng.randrange(1, 40)}", b""
    if name == "opds search":
        return "GET", f"/opds/search?q={word}", b""
    if name == "download":
        return "GET", f"/api/library/{book_id}/download/{file_id}", b""
    if name == "opds download":
        return "GET", f"/opds/books/{book_id}/download/{file_id}", b""
    if name == "kosync put":
        body = {"document": koreader, "progress": f"/body/DocFragment[{n}]", "percentage": round(rng.random(), 4),
                "device": "bench", "device_id": f"{rng.randrange(50):032X}"}  # fmt: skip
        return "PUT", "/kosync/syncs/progress", json.dumps(body).encode()
    return "GET", f"/kosync/syncs/progress/{koreader}", b""


def headers_for(name: str, key: str) -> dict[str, str]:
    if name.startswith("kosync"):
        secret = hashlib.md5(KOSYNC_PASSWORD.encode()).hexdigest()
        return {"accept": "application/vnd.koreader.v1+json", "content-type": "application/json",
                "x-auth-user": KOSYNC_USER, "x-auth-key": secret}  # fmt: skip
    if name.startswith("opds"):
        return {"authorization": "Basic " + base64.b64encode(f"{OPDS_USER}:{OPDS_PASSWORD}".encode()).decode()}
    return {"x-api-key": key}


async def client_loop(base_url: str, key: str, books: list, seconds: float, seed: int,
                      latencies: dict[str, list[float]], errors: dict[str, list[str]],
                      mix: list[tuple[str, int]] = MIX, pause: tuple[float, float] | None = None) -> None:  # fmt: skip
    """One reader's device: a keep-alive connection, one request at a time (the next once the last is
    answered). Raw HTTP keeps the measuring side cheap: with 50 clients an HTTP library's own CPU
    filled a core, and the figures measured the client's queue instead of the server."""
    rng = random.Random(seed)
    names, weights = zip(*mix, strict=True)
    headers = {name: headers_for(name, key) for name in names}
    url = urlsplit(base_url)
    # The first seconds after start are the server's own warm-up (vocabulary build, cold pages):
    # the same in both rows, and not what a household sees later, so they are not counted.
    counted_from = time.monotonic() + WARMUP_SECONDS
    deadline = counted_from + seconds
    client: Client | None = None
    n = 0
    try:
        while time.monotonic() < deadline:
            n += 1
            name = rng.choices(names, weights)[0]
            method, path, body = request_for(name, rng, books, seed * 1_000_000 + n)
            started = time.perf_counter()
            try:
                if client is None:
                    client = await Client.open(url.hostname or "127.0.0.1", url.port or 80)
                status, _, _ = await asyncio.wait_for(client.send(request(method, path, headers[name], body)), 30)
                failed = None if status == 200 else f"{status} {path}"
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                failed = f"{type(exc).__name__} {path}"
                if client is not None:
                    client.close()
                client = None  # a broken connection is replaced, as a device would reconnect
            if failed:
                errors[name].append(failed)
            if time.monotonic() >= counted_from:
                latencies[name].append(time.perf_counter() - started)
            if pause:
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        if client is not None:
            client.close()


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


def run(seconds: float, clients: int, books: int, drops: int, household: bool = False) -> dict[str, object]:
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

            def drop_all() -> None:
                time.sleep(WARMUP_SECONDS)  # the drops start when the counted requests do
                for f in files:
                    shutil.copy(f, data_dir / "inbox" / f.name)

            dropper = threading.Thread(target=drop_all)
            load_before, cpu_before = load(), cpu_seconds(server.process.pid)
            with RssSampler(server.process.pid) as rss:
                started = time.monotonic()
                dropper.start()
                asyncio.run(_all(server.base_url, key, sample, seconds, clients, latencies, errors, household))
                elapsed = time.monotonic() - started - WARMUP_SECONDS
                dropper.join()
                done = ingested(data_dir)
                # How long the rest of the drops take to reach review, once the clients stopped.
                dropped_at = started + WARMUP_SECONDS
                while drops and done.get("review", 0) < drops and time.monotonic() - dropped_at < max(60, seconds) + 60:
                    time.sleep(0.5)
                    done = ingested(data_dir)
                all_in = time.monotonic() - dropped_at if done.get("review", 0) >= drops else float("nan")
            cpu = cpu_seconds(server.process.pid) - cpu_before
            log_errors = server.log().count("Traceback")
    requests = sum(len(v) for v in latencies.values())
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "ingested": done, "drops": drops,
            "rss_mb": rss.peak_kb / 1024, "rss_anon_mb": rss.peak_anon_kb / 1024, "tracebacks": log_errors,
            "load_before": load_before, "load_after": load(), "cpu_ms_per_request": cpu / max(requests, 1) * 1000,
            "all_in_review_s": all_in}  # fmt: skip


async def _all(base_url: str, key: str, sample: list, seconds: float, clients: int,
               latencies: dict[str, list[float]], errors: dict[str, list[str]], household: bool) -> None:  # fmt: skip
    if household:
        await asyncio.gather(*(client_loop(base_url, key, sample, seconds, n + 1, latencies, errors, mix,
                                           HOUSEHOLD_PAUSE) for n, mix in enumerate(HOUSEHOLD)))  # fmt: skip
        return
    await asyncio.gather(*(client_loop(base_url, key, sample, seconds, n + 1, latencies, errors)
                           for n in range(clients)))  # fmt: skip


def show(title: str, result: dict[str, object], mix: list[tuple[str, int]],
         baseline: dict[str, object] | None = None) -> None:  # fmt: skip
    latencies, errors = result["latencies"], result["errors"]
    assert isinstance(latencies, dict) and isinstance(errors, dict)
    total = sum(len(v) for v in latencies.values())
    print(f"  {title}: {result['elapsed']:.0f} s, {total} requests ({total / float(result['elapsed']):.0f}/s), "  # type: ignore[arg-type]
          f"server CPU {result['cpu_ms_per_request']:.2f} ms per request, "
          f"load average before {result['load_before']}, after {result['load_after']}")  # fmt: skip
    base_lat = baseline["latencies"] if baseline else {}
    assert isinstance(base_lat, dict)
    extra = f" {'x base p99':>10}" if baseline else ""
    print(f"  {'endpoint':16} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}{extra}")
    for name in dict(mix):
        values = latencies.get(name) or [0.0]
        p99 = percentile(values, 0.99)
        ratio = ""
        if baseline:
            base99 = percentile(base_lat.get(name) or [0.0], 0.99)
            ratio = f" {p99 / base99:10.1f}" if base99 else f" {'-':>10}"
        print(f"  {name:16} {len(latencies.get(name, [])):8} {len(errors.get(name, [])):6} "
              f"{percentile(values, 0.5) * 1000:7.1f} {p99 * 1000:7.1f}{ratio}")  # fmt: skip
    error_count = sum(len(v) for v in errors.values())
    for name, found in errors.items():
        for line in found[:3]:
            print(f"  error {name}: {line}")
    print(f"  errors {error_count} (target 0); server tracebacks {result['tracebacks']}")
    states = result["ingested"]
    assert isinstance(states, dict)
    if result["drops"]:
        print(f"  {result['drops']} dropped books at the end of the clients' run: "
              + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
              + f"; all in review after {result['all_in_review_s']:.1f} s")  # fmt: skip
    rss, anon = result["rss_mb"], result["rss_anon_mb"]
    print(f"  server peak RSS {rss:.0f} MB (anon {anon:.0f} MB; target < {RSS_TARGET_MB})")


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--books", type=int, default=10_000)
    parser.add_argument("--drops", type=int, default=500)
    parser.add_argument("--mix", choices=("both", "crowd", "household"), default="both")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without drops")
    args = parser.parse_args([] if argv is None and __name__ != "__main__" else argv)
    result: dict[str, object] = {}
    for mix in ("crowd", "household") if args.mix == "both" else (args.mix,):
        result = run_mix(args, mix == "household")
    return result


def run_mix(args: argparse.Namespace, household: bool) -> dict[str, object]:
    mix = [entry for client in HOUSEHOLD for entry in client] if household else MIX
    who = "4 household clients" if household else f"{args.clients} clients"
    baseline = None
    if not args.no_baseline:
        baseline = run(args.seconds, args.clients, args.books, 0, household)
        show(f"baseline, {who}, no drops, library {args.books} books", baseline, mix)
    result = run(args.seconds, args.clients, args.books, args.drops, household)
    show(f"{who} while {args.drops} books are dropped, library {args.books} books", result, mix, baseline)
    return result


if __name__ == "__main__":
    main()
