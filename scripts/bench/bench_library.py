"""Library browsing and search latency against a real `bookshelf serve`, at 10,000 and 100,000 books.

    python scripts/bench/bench_library.py [--sizes 10000,100000] [--requests 400] [--concurrency 1,4]

Libraries are generated once by make_library.py and cached under
$TMPDIR/bookshelf-bench (keyed by the generator and migrations, so a schema
change makes fresh ones). Each scenario sends a fixed number of requests over a few keep-alive
connections at once (a raw-socket client, so the measuring side costs little
CPU next to the server); latency is measured per request at the client.
The server's resident memory is sampled throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

import make_library  # noqa: E402
from rawhttp import Client, get_request  # noqa: E402

from tests.serve import bookshelf_command, running_server  # noqa: E402

ONE_WORD = ["dostoyevsky", "river", "prague", "murakami", "garden", "alchemist"]
TYPO_PAIRS = ["silnet river", "dostoyevksy garden", "murakmai prague", "lighthuose kierkegaard", "emprie brontë"]
PREFIXES = ["dos", "the sil", "mura", "riv", "kierk", "a", "garc"]
# (name, target p99 ms, paths cycled through)
SCENARIOS = [
    ("list title_asc", 15, ["/api/library?page=1&sort=title_asc"]),
    ("list author_asc", 15, ["/api/library?page=1&sort=author_asc"]),
    ("list added_newest", 15, ["/api/library?page=1&sort=added_newest"]),
    ("q one word", 25, [f"/api/library?q={w}" for w in ONE_WORD]),
    ("q two words, typo", 25, [f"/api/library?q={w}" for w in TYPO_PAIRS]),
    ("suggest prefix", 10, [f"/api/search/suggest?q={p}" for p in PREFIXES]),
    ("facets", 50, ["/api/library/facets"]),
]
RSS_TARGET_MB = 120


def cached_library(count: int) -> Path:
    """A generated library of ``count`` books, built once per generator/schema version."""
    digest = hashlib.sha256()
    for path in sorted([Path(make_library.__file__), *(REPO / "bookshelf/db/migrations").glob("*.sql")]):
        digest.update(path.read_bytes())
    root = Path(tempfile.gettempdir()) / "bookshelf-bench" / f"library-{count}-{digest.hexdigest()[:12]}"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        make_library.build(count, root)
        (root / ".complete").write_text("ok")
        print(f"  generated {count} books in {time.perf_counter() - started:.1f}s -> {root}", flush=True)
    return root


def api_key(data_dir: Path) -> str:
    result = subprocess.run(
        [*bookshelf_command(), "keys", "create", "--label", "bench", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


class RssSampler:
    """Peak resident memory of a process, sampled from /proc every 20 ms.

    RssFile is mostly database pages mapped by SQLite's mmap (page cache the
    kernel can drop); RssAnon is memory the process itself holds.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.peak_anon_kb = 0
        self.peak_file_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                    elif line.startswith("RssAnon:"):
                        self.peak_anon_kb = max(self.peak_anon_kb, int(line.split()[1]))
                    elif line.startswith("RssFile:"):
                        self.peak_file_kb = max(self.peak_file_kb, int(line.split()[1]))
            except OSError:
                return
            self._stop.wait(0.02)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used: work done, whatever else the machine is running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def run_scenario(connections: list[Client], paths: list[str], key: str, requests: int) -> list[float]:
    """``requests`` GETs cycling through ``paths``, spread over the open connections; ms each."""
    latencies: list[float] = []
    prepared = [get_request(path, {"x-api-key": key}) for path in paths]
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait((paths[i % len(paths)], prepared[i % len(paths)]))

    async def worker(client: Client) -> None:
        while not queue.empty():
            path, request = queue.get_nowait()
            status, body, elapsed = await client.send(request)
            latencies.append(elapsed * 1000)
            if status != 200:
                raise RuntimeError(f"{path}: {status} {body[:200]!r}")

    await asyncio.gather(*(worker(client) for client in connections))
    return latencies


async def bench_server(
    base_url: str, key: str, pid: int, requests: int, concurrency: int
) -> list[tuple[str, int, float, float, float]]:
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=30) as client:
        # Wait until the typo vocabulary is built (the one request that may need it warm).
        deadline = time.monotonic() + 120
        while (await client.get("/api/library?q=dostoyevksy")).json()["total"] == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("typo correction never became ready")
            await asyncio.sleep(0.2)
    url = httpx.URL(base_url)
    connections = [await Client.open(url.host, url.port or 80) for _ in range(concurrency)]
    try:
        rows = []
        for name, target, paths in SCENARIOS:
            await run_scenario(connections[:1], paths, key, len(paths) * 2)  # warm every path once
            cpu = cpu_seconds(pid)
            latencies = await run_scenario(connections, paths, key, requests)
            cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / requests
            rows.append((name, target, percentile(latencies, 0.5), percentile(latencies, 0.99), cpu_ms))
        return rows
    finally:
        for connection in connections:
            connection.close()


def bench_size(count: int, requests: int, levels: list[int]) -> bool:
    """One server on a ``count``-book library, every scenario at each concurrency level."""
    data_dir = cached_library(count)
    key = api_key(data_dir)
    results = []
    with running_server(data_dir, ready_timeout=120) as server:
        with RssSampler(server.process.pid) as rss:
            for concurrency in levels:
                rows = asyncio.run(bench_server(server.base_url, key, server.process.pid, requests, concurrency))
                results.append((concurrency, os.getloadavg()[0], rows))
    passed = True
    for concurrency, load, rows in results:
        print(f"\n{count:,} books, {requests} requests per scenario, {concurrency} concurrent, "
              f"{os.cpu_count()} CPUs, load average {load:.1f}")  # fmt: skip
        print(f"  {'scenario':<22} {'p50 ms':>8} {'p99 ms':>8} {'target':>8} {'server CPU ms/req':>18}")
        for name, target, p50, p99, cpu_ms in rows:
            ok = p99 < target
            passed &= ok
            print(f"  {name:<22} {p50:8.1f} {p99:8.1f} {'<' + str(target):>8} {cpu_ms:18.2f} "
                  f"{'ok' if ok else 'MISSED'}")  # fmt: skip
    peak_mb = rss.peak_kb / 1024
    passed &= peak_mb < RSS_TARGET_MB
    print(
        f"  {'server peak RSS':<22} {peak_mb:8.1f} MB (target < {RSS_TARGET_MB} MB; anonymous "
        f"{rss.peak_anon_kb / 1024:.1f} MB, file-backed incl. mmap'd database {rss.peak_file_kb / 1024:.1f} MB)"
    )
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", default="1,4", help="connections at once; a list runs each level")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    passed = True
    for size in (int(s) for s in args.sizes.split(",")):
        passed &= bench_size(size, args.requests, levels)
    print("\nall targets met" if passed else "\nsome targets missed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
