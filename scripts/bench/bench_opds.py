"""OPDS latency on a 100,000-book library, measured against `bookshelf serve` as a subprocess.

Usage: python scripts/bench/bench_opds.py [BOOKS] [REQUESTS] [DATA_DIR]
(DATA_DIR keeps the generated library, and a library already there is reused.)
Prints p50/p99 per URL; the targets are p99 < 25 ms for feeds and < 10 ms for a cached PSE page.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bookshelf import folding  # noqa: E402
from bookshelf.db.books import author_sort_name, sort_title  # noqa: E402
from bookshelf.db.migrate import migrate  # noqa: E402
from bookshelf.folding import fold  # noqa: E402

USER, PASSWORD = "bench", "bench-password"
TARGETS = {"page": 10.0}
DEFAULT_TARGET = 25.0


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words = {"word"}
    while len(words) < size:
        length = rng.randint(2, 4)
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(length)))
    return sorted(words)


def make_library(data: Path, books: int, seed: int = 7) -> tuple[str, str]:
    """Organized books straight into SQLite (triggers keep FTS in step); returns the comic's ids."""
    rng = random.Random(seed)
    migrate(data / "bookshelf.db")
    words = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(words))]  # Zipf-like: a few words are very common
    rng.shuffle(weights)
    authors = [" ".join(rng.choice(words).title() for _ in range(2)) for _ in range(books // 5)]
    genres = [f"Genre {i}" for i in range(40)]
    series = [" ".join(rng.choices(words, k=2)).title() for _ in range(books // 20)]
    conn = sqlite3.connect(data / "bookshelf.db", isolation_level=None)
    folding.register(conn)  # the search index triggers fold what they index
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT OR IGNORE INTO authors (id, name, sort_name) VALUES (?, ?, ?)",
        [(i + 1, name, author_sort_name(name)) for i, name in enumerate(authors)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO genres (id, name) VALUES (?, ?)", [(i + 1, g) for i, g in enumerate(genres)]
    )
    conn.executemany(
        "INSERT OR IGNORE INTO series (id, name) VALUES (?, ?)", [(i + 1, s) for i, s in enumerate(series)]
    )
    comic = ("", "")
    for num in range(1, books + 1):
        title = " ".join(rng.choices(words, weights, k=rng.randint(2, 5))).capitalize()
        author_id = rng.randrange(len(authors)) + 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_600_000_000 + num * 60))
        book_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        series_id = rng.randrange(len(series)) + 1 if num % 3 == 0 else None
        name = authors[author_id - 1]
        conn.execute(
            "INSERT INTO books (num, id, status, title, sort_title, authors, author_sort, series, series_index, "
            "description, genres, created_at, updated_at, organized_at, language) "
            "VALUES (?, ?, 'organized', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en')",
            (num, book_id, title, sort_title(title), json.dumps([name]), fold(author_sort_name(name)),
             series[series_id - 1] if series_id else None, float(num % 12) if series_id else None,
             " ".join(rng.choices(words, weights, k=40)), json.dumps([genres[num % 40]]), stamp, stamp, stamp),
        )  # fmt: skip
        conn.execute("INSERT INTO book_authors VALUES (?, ?, 0)", (num, author_id))
        conn.execute("INSERT INTO book_genres VALUES (?, ?)", (num, num % 40 + 1))
        if series_id:
            conn.execute("INSERT INTO book_series VALUES (?, ?)", (num, series_id))
        fmt, page_count = ("cbz", 8) if num == books else ("epub", None)
        file_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        path = f"bench/{num}.{fmt}"
        conn.execute(
            "INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, page_count, "
            "added_at) VALUES (?, ?, ?, 'library', ?, ?, ?, ?, ?, ?, ?)",
            (file_id, book_id, fmt, path, f"{name} - {title}.{fmt}", 1000, f"{num:064x}", f"{num:032x}",
             page_count, stamp),
        )  # fmt: skip
        if fmt == "cbz":
            comic = (book_id, file_id)
    conn.execute("COMMIT")
    conn.close()
    write_comic(data / "library" / "bench" / f"{books}.cbz", 8)
    return comic


def write_comic(path: Path, pages: int) -> None:
    from io import BytesIO

    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(pages):
            out = BytesIO()
            Image.effect_noise((1200, 1800), 60).convert("RGB").save(out, "JPEG", quality=85)
            archive.writestr(f"page{i + 1:03d}.jpg", out.getvalue())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKSHELF_")}
    env.update({"BOOKSHELF_OPDS_USERNAME": USER, "BOOKSHELF_OPDS_PASSWORD": PASSWORD, "BOOKSHELF_LOG_LEVEL": "warning"})
    command = [sys.executable, "-m", "bookshelf", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(data)]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("bookshelf serve did not start")


def measure(http: httpx.Client, urls: list[str], warm: bool = True) -> tuple[float, float]:
    """(p50, p99) in ms over ``urls``; ``warm`` fetches each once first (a running server's steady state)."""
    if warm:
        for url in set(urls):
            assert http.get(url).status_code == 200, url
    times = []
    for url in urls:
        started = time.perf_counter()
        response = http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def report(name: str, p50: float, p99: float, target: float | None) -> None:
    verdict = "" if target is None else f"(target p99 < {target:.0f} ms) " + ("ok" if p99 < target else "SLOW")
    print(f"{name:34s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {verdict}")


def prepare(data: Path, books: int) -> str:
    """The id of the comic used for page streaming, generating the library unless it is there."""
    if (data / "bookshelf.db").exists():
        conn = sqlite3.connect(data / "bookshelf.db")
        row = conn.execute("SELECT book_id FROM files WHERE format = 'cbz' LIMIT 1").fetchone()
        count = conn.execute("SELECT count(*) FROM books").fetchone()[0]
        conn.close()
        print(f"reusing the library of {count:,} books in {data}")
        return str(row[0])
    (data / "library").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    book_id, _ = make_library(data, books)
    print(f"library of {books:,} books generated in {time.perf_counter() - started:.1f}s")
    return book_id


def main(books: int = 100_000, requests: int = 300, data_dir: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-opds-") as folder:
        data = Path(data_dir) if data_dir else Path(folder) / "data"
        book_id = prepare(data, books)
        process, base = serve(data)
        results = {}
        try:
            with httpx.Client(base_url=base, auth=(USER, PASSWORD), timeout=30) as http:
                last = -(-books // 50)
                urls = {
                    "all page 1": "/opds/all?page=1",
                    "all last page": f"/opds/all?page={last}",
                    "new": "/opds/new",
                    "authors": "/opds/authors",
                    "search word": "/opds/search?q=word",
                    "page": f"/opds/books/{book_id}/pages/3?maxWidth=600",
                }
                for name, url in urls.items():
                    p50, p99 = measure(http, [url] * requests)
                    report(name + " (repeat)", p50, p99, TARGETS.get(name, DEFAULT_TARGET))
                    results[name] = p99
                # Cold: every request a page or query not rendered before (no rendered-feed cache hit).
                rng = random.Random(1)
                pages = rng.sample(range(1, last + 1), min(requests, last))
                p50, p99 = measure(http, [f"/opds/all?page={p}" for p in pages], warm=False)
                report("all, distinct pages (cold)", p50, p99, None)
                words = vocabulary(random.Random(7))
                queries = [f"/opds/search?q={w}" for w in rng.sample(words, min(requests, len(words)))]
                p50, p99 = measure(http, queries, warm=False)
                report("search, distinct words (cold)", p50, p99, None)
                p50, p99 = measure(http, [f"/opds/authors?page={p}" for p in range(1, 80)], warm=False)
                report("authors, distinct pages (cold)", p50, p99, None)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*(int(a) for a in args[:2]), *args[2:3])  # type: ignore[arg-type]
