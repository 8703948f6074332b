"""KOReader sync throughput and latency, and /api/stats time, against `bookshelf serve` as a subprocess.

Run: python scripts/bench/bench_kosync.py [--requests N] [--accounts N]

With --accounts N the clients are spread over N accounts, each with its own
KOReader credentials, syncing the same 500 documents at once (a household).

The load generator is an asyncio HTTP/1.1 client on raw sockets with
keep-alive (one connection per simulated device), so the client costs little
next to the server. Targets (API.md): PUT and GET at >= 1,500 req/s with 50
clients and p99 < 50 ms, p99 < 20 ms with 10 clients; /api/stats with three
years of history for 500 books under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from rawhttp import Client  # noqa: E402

from bookshelf import folding  # noqa: E402
from bookshelf.db.stats import rebuild_activity  # noqa: E402
from tests.serve import running_server  # noqa: E402

USER, PASSWORD = "reader", "bench password"
KEY = hashlib.md5(PASSWORD.encode()).hexdigest()
DAY = 86_400


def put_request(document: str, device: int, n: int, user: str = USER) -> bytes:
    body = json.dumps(
        {"document": document, "progress": f"/body/DocFragment[{n % 40}]/body/p[{n}]/text().0",
         "percentage": round((n % 1000) / 1000, 4), "device": f"device {device}",
         "device_id": f"{device:032X}"},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    return (
        b"PUT /kosync/syncs/progress HTTP/1.1\r\nhost: bench\r\nuser-agent: lua-Spore\r\n"
        b"accept: application/vnd.koreader.v1+json\r\ncontent-type: application/json\r\n"
        + f"x-auth-user: {user}\r\nx-auth-key: {KEY}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        + body
    )


def get_request(document: str, user: str = USER) -> bytes:
    return (
        f"GET /kosync/syncs/progress/{document} HTTP/1.1\r\nhost: bench\r\nuser-agent: lua-Spore\r\n"
        f"accept: application/vnd.koreader.v1+json\r\nx-auth-user: {user}\r\nx-auth-key: {KEY}\r\n\r\n"
    ).encode()


async def load(
    host: str, port: int, clients: int, total: int, kind: str, users: tuple[str, ...] = (USER,)
) -> dict[str, float]:
    per_client = total // clients
    connections = [await Client.open(host, port) for _ in range(clients)]
    latencies: list[float] = []
    errors = 0

    async def run(index: int, client: Client) -> None:
        nonlocal errors
        for n in range(per_client):
            document = hashlib.md5(f"book {(index * 7 + n) % 500}".encode()).hexdigest()
            user = users[index % len(users)]  # each client is a device of one of the accounts
            request = put_request(document, index, n, user) if kind == "PUT" else get_request(document, user)
            status, _, elapsed = await client.send(request)
            latencies.append(elapsed)
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(run(i, c) for i, c in enumerate(connections)))
    wall = time.perf_counter() - started
    for client in connections:
        client.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / wall,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max": latencies[-1] * 1000,
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far, every thread included (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seed_history(db_path: Path, books: int = 500, years: int = 3) -> int:
    """Three years of a heavy reader's history for ``books`` books, written straight into the database."""
    rng = random.Random(7)
    now = int(time.time())
    conn = sqlite3.connect(db_path)
    folding.register(conn)  # the search index triggers fold what they index
    admin = conn.execute("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").fetchone()[0]
    genres = ["Fantasy", "Science Fiction", "History", "Mystery", "Poetry", "Biography"]
    history, finishes, states = [], [], []
    span = years * 365 * DAY
    for n in range(books):
        book_id, document = str(uuid.uuid4()), hashlib.md5(f"book {n}".encode()).hexdigest()
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - span))
        conn.execute(
            "INSERT INTO books (id, status, title, sort_title, genres, created_at, updated_at) "
            "VALUES (?, 'organized', ?, ?, ?, ?, ?)",
            (book_id, f"Book {n}", f"book {n}", json.dumps([rng.choice(genres)]), created, created),
        )
        num = conn.execute("SELECT num FROM books WHERE id = ?", (book_id,)).fetchone()[0]
        genre = json.loads(conn.execute("SELECT genres FROM books WHERE num = ?", (num,)).fetchone()[0])[0]
        conn.execute("INSERT OR IGNORE INTO genres (name) VALUES (?)", (genre,))
        conn.execute(
            "INSERT INTO book_genres (book_num, genre_id) SELECT ?, id FROM genres WHERE name = ?", (num, genre)
        )
        conn.execute(
            "INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, added_at) "
            "VALUES (?, ?, 'epub', 'library', ?, ?, 1000, ?, ?, ?)",
            (str(uuid.uuid4()), book_id, f"{n}.epub", f"{n}.epub", document, document, created),
        )
        conn.execute(
            "INSERT INTO file_hashes (file_id, kind, value, recorded_at) SELECT id, 'koreader', ?, ? FROM files "
            "WHERE book_id = ?",
            (document, created, book_id),
        )
        start = now - span + int(span * n / books)
        at, percentage = start, 0.0
        for _session in range(rng.randint(8, 16)):  # a few evenings of 5-15 writes each
            device = rng.choice(["kobo", "phone"])
            for _ in range(rng.randint(5, 15)):
                at += rng.randint(60, 300)
                percentage = min(1.0, percentage + rng.uniform(0.002, 0.01))
                history.append((admin, document, device.upper() * 4, device, round(percentage, 4), "1", at))
            at += rng.randint(DAY // 2, 2 * DAY)
        finishes.append((admin, book_id, start, at))
        states.append((admin, book_id, percentage, at, start, at, created))
    conn.executemany(
        "INSERT INTO reading_history (user_id, document, device_id, device, percentage, progress, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        history,
    )
    conn.executemany(
        "INSERT INTO reading_finishes (user_id, book_id, started_at, finished_at) VALUES (?, ?, ?, ?)", finishes
    )
    conn.executemany(
        "INSERT INTO reading_state (user_id, book_id, percentage, last_read_at, started_at, finished_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        states,
    )
    rebuild_activity(conn)
    conn.commit()
    conn.close()
    return len(history)


def add_accounts(http: object, count: int) -> list[str]:
    """``count`` reader accounts, each with its own KOReader user name (the same password)."""
    names = []
    for n in range(count):
        created = http.post(  # type: ignore[attr-defined]
            "/api/users", json={"username": f"reader {n}", "password": "reader password", "role": "reader"}
        )
        created.raise_for_status()
        key = http.post(f"/api/users/{created.json()['id']}/keys", json={"label": "bench"}).json()["key"]  # type: ignore[attr-defined]
        name = f"reader{n}"
        http.put(  # type: ignore[attr-defined]
            "/api/credentials/kosync",
            json={"username": name, "password": PASSWORD},
            headers={"Authorization": f"Bearer {key}"},
        ).raise_for_status()
        names.append(name)
    return names


def main(argv: list[str] | None = None) -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per run (default 10000)")
    parser.add_argument("--accounts", type=int, default=1, help="accounts syncing at once (default 1)")
    args = parser.parse_args(argv or [])  # run_all.py calls main() with its own argv in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with running_server(data) as server:
            host, port = server.base_url.removeprefix("http://").split(":")
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                key = http.post("/api/auth/setup", json={"label": "bench"}).json()["key"]
                http.headers["Authorization"] = f"Bearer {key}"
                http.put("/api/credentials/kosync", json={"username": USER, "password": PASSWORD}).raise_for_status()
                users = (USER, *add_accounts(http, args.accounts - 1))
                # The stored credential is bcrypt: the first check pays for it, later ones hit the cache.
                asyncio.run(load(host, int(port), len(users), 20 * len(users), "PUT", users))
                print(
                    f"kosync ({args.requests} requests per run, {len(users)} account(s), bcrypt credentials, "
                    f"python {sys.version.split()[0]})"
                )
                # Server CPU per request hardly changes with what else the machine runs; req/s and
                # p99 do, so the load average before and after tells a noisy run from a slow one.
                for kind in ("PUT", "GET"):
                    for clients in (50, 10):
                        load_before, cpu_before = load_average(), cpu_seconds(server.process.pid)
                        r = asyncio.run(load(host, int(port), clients, args.requests, kind, users))
                        cpu_ms = (cpu_seconds(server.process.pid) - cpu_before) * 1000 / r["requests"]
                        print(
                            f"  {kind:3} {clients:2} clients: {r['rps']:7.0f} req/s  p50 {r['p50']:5.1f} ms  "
                            f"p99 {r['p99']:5.1f} ms  max {r['max']:6.1f} ms  errors {r['errors']}  "
                            f"server {cpu_ms:.3f} ms CPU/req  load {load_before} -> {load_average()}"
                        )
        rows = seed_history(data / "bookshelf.db")
        with running_server(data) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            http.headers["Authorization"] = f"Bearer {key}"
            times = []
            for _ in range(21):
                started = time.perf_counter()
                http.get("/api/stats").raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"  GET /api/stats, 500 books, 3 years, {rows} history rows: median {statistics.median(times[1:]):.1f}"
                f" ms  max {max(times[1:]):.1f} ms (first {times[0]:.1f} ms)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
