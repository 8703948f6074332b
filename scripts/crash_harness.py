"""Crash harness: run `bookshelf serve`, feed it work, SIGKILL it at random moments, and prove nothing is lost.

Run: python scripts/crash_harness.py [--kills 20] [--files 200] [--seed 1] [--work-dir DIR]

The stream of work: EPUBs, PDFs, damaged books and a non-book dropped into the inbox folder,
uploads, approvals, reorganizes after a template change, and KOReader progress syncs (every
PUT answered 200 is remembered). After each restart, once the server is quiet, it checks
PRAGMA integrity_check, that every sent file is accounted for exactly once, that doctor finds
no problem and that every acknowledged sync is in the reading history. Prints totals; exits 1
on any violation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts import crash_checks as checks  # noqa: E402
from scripts.crash_checks import Ledger, Source, Sync  # noqa: E402

KOSYNC_USER, KOSYNC_PASSWORD = "harness", "crash and burn"
TEMPLATES = ("{author}/{title}", "{author}/{series}/{title}", "{title}")
QUIET_TIMEOUT = 90.0


@dataclass
class Totals:
    kills: int = 0
    files: int = 0
    books: int = 0
    syncs: int = 0
    uploads: int = 0
    approvals: int = 0
    reorganizes: int = 0
    violations: list[str] = field(default_factory=list)

    def render(self) -> str:
        return (f"kills {self.kills}, files {self.files}, books {self.books}, syncs {self.syncs}, "
                f"uploads {self.uploads}, approvals {self.approvals}, reorganizes {self.reorganizes}, "
                f"violations {len(self.violations)}")  # fmt: skip


def make_sources(staging: Path, count: int, rng: random.Random) -> list[Source]:
    """EPUBs and PDFs with distinct bytes, a few damaged books, repeated bytes and one non-book."""
    from bookshelf.formats import file_hashes
    from tests.builders import make_epub, make_pdf

    staging.mkdir(parents=True, exist_ok=True)
    sources: list[Source] = []
    for n in range(count):
        kind = rng.random()
        author = f"Author {rng.randrange(6)}"
        if n == count - 1:
            path = staging / f"notes {n}.txt"
            path.write_text("a shopping list, not a book\n")
        elif kind < 0.08 and sources:  # the same bytes again, under another name
            earlier = staging / rng.choice([s.name for s in sources if s.book])
            path = staging / f"copy {n}{earlier.suffix}"
            shutil.copyfile(earlier, path)
        elif kind < 0.16:
            path = staging / f"damaged {n}.epub"
            path.write_bytes(b"PK\x03\x04" + rng.randbytes(rng.randrange(10, 4000)))
        elif kind < 0.3:
            path = make_pdf(staging / f"paper {n}.pdf", title=f"Crash Paper {n}", author=author, pages=2)
        else:
            path = make_epub(staging / f"book {n}.epub", title=f"Crash Book {n}", authors=[author],
                             series=f"Saga {n % 4}", series_index=float(n), uid=f"urn:uuid:crash-{n}",
                             body_bytes=rng.randrange(0, 60_000))  # fmt: skip
        koreader, sha = file_hashes(path)
        sources.append(Source(name=path.name, sha256=sha, koreader=koreader, book=not path.suffix == ".txt"))
    return sources


class Workload:
    """The library and KOReader traffic of one server life, run on two threads until stopped."""

    def __init__(self, base_url: str, key: str, staging: Path, inbox: Path, ledger: Ledger,
                 totals: Totals, rng: random.Random, budget: int) -> None:  # fmt: skip
        hooks = {"response": [self._server_error]}
        self.http = httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=10, event_hooks=hooks)
        self.kosync = httpx.Client(base_url=base_url, timeout=10, event_hooks=hooks, headers={
            "accept": "application/vnd.koreader.v1+json", "x-auth-user": KOSYNC_USER,
            "x-auth-key": hashlib.md5(KOSYNC_PASSWORD.encode()).hexdigest()})  # fmt: skip
        self.staging, self.inbox, self.ledger, self.totals = staging, inbox, ledger, totals
        self.rng = random.Random(rng.random())
        self.sync_rng = random.Random(rng.random())
        self.budget = budget
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._guard, args=(self._library,), daemon=True),
                        threading.Thread(target=self._guard, args=(self._syncs,), daemon=True)]  # fmt: skip

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        self.http.close()
        self.kosync.close()

    def _server_error(self, response: httpx.Response) -> None:
        if response.status_code >= 500:  # a crash may cut a request, but never make the server fail one
            self.totals.violations.append(f"{response.status_code} from {response.request.method} "
                                          f"{response.request.url.path}")  # fmt: skip

    def _guard(self, loop: Callable[[], None]) -> None:
        while not self.stop.is_set():
            try:
                loop()
            except httpx.TransportError:
                if self.stop.wait(0.02):  # the server is down (killed): nothing to do until it is back
                    return
            except Exception as exc:  # a surprising answer stops this stream of work, visibly
                self.totals.violations.append(f"workload stopped: {exc!r}")
                return

    def _unsent(self) -> list[Source]:
        return [s for s in self.ledger.sources if not s.via]

    def _library(self) -> None:
        op = self.rng.choices(("drop", "upload", "approve", "reorganize"), weights=(6, 2, 3, 0.4))[0]
        if op in ("drop", "upload") and self.budget <= 0:
            op = "approve"
        getattr(self, "_" + op)()
        self.stop.wait(self.rng.uniform(0.0, 0.05))  # pacing of a user, not a wait for a condition

    def _drop(self) -> None:
        unsent = self._unsent()
        if unsent:
            self.budget -= 1
            drop(unsent[0], self.staging, self.inbox)

    def _upload(self) -> None:
        chosen = [s for s in self._unsent() if s.book and not s.name.startswith("damaged")][:2]
        if not chosen:
            return
        self.budget -= len(chosen)
        for source in chosen:
            source.via = "upload"  # sent from here on: it may be in even if no answer comes back
        files = [("file", (s.name, (self.staging / s.name).read_bytes())) for s in chosen]
        response = self.http.post("/api/inbox/upload", files=files)
        body = response.json() if response.status_code in (200, 201) else {}
        taken = {entry["filename"] for key in ("uploaded", "duplicates") for entry in body.get(key, [])}
        for source in chosen:  # a rejected file was answered "no": the client keeps it
            source.acknowledged = source.name in taken
            self.totals.uploads += source.acknowledged

    def _approve(self) -> None:
        listing = self.http.get("/api/inbox", params={"status": "review", "perPage": 5})
        if listing.status_code == 200 and listing.json()["data"]:
            book = self.rng.choice(listing.json()["data"])
            if self.http.post(f"/api/books/{book['id']}/approve", json={}).status_code == 200:
                self.totals.approvals += 1

    def _reorganize(self) -> None:
        template = self.rng.choice(TEMPLATES)
        if self.http.patch("/api/settings", json={"organizeTemplate": template}).status_code == 200:
            if self.http.post("/api/library/reorganize").status_code == 202:
                self.totals.reorganizes += 1

    def _syncs(self) -> None:
        books = [s for s in self.ledger.sources if s.via and s.book]
        document = self.sync_rng.choice(books).koreader if books and self.sync_rng.random() < 0.8 else (
            f"{self.sync_rng.getrandbits(128):032x}")  # fmt: skip
        sync = Sync(document=document, device_id=f"{self.sync_rng.randrange(3):032X}",
                    progress=f"/body/DocFragment[{len(self.ledger.syncs) + 1}]/p[{self.sync_rng.randrange(99)}]",
                    percentage=round(self.sync_rng.random(), 4))  # fmt: skip
        body = {"document": sync.document, "progress": sync.progress, "percentage": sync.percentage,
                "device": "harness", "device_id": sync.device_id}  # fmt: skip
        response = self.kosync.put("/kosync/syncs/progress", content=json.dumps(body))
        if response.status_code == 200:
            self.ledger.syncs.append(sync)
        self.stop.wait(0.01)


def drop(source: Source, staging: Path, inbox: Path) -> None:
    """Copy into the inbox as a user or a sync tool would (written in place, then left alone)."""
    source.via, source.acknowledged = "drop", True
    shutil.copyfile(staging / source.name, inbox / source.name)


def serve_env() -> dict[str, str]:
    return {"BOOKSHELF_WATCH_SETTLE_SECONDS": "0.2", "BOOKSHELF_KOSYNC_USERNAME": KOSYNC_USER,
            "BOOKSHELF_KOSYNC_PASSWORD": KOSYNC_PASSWORD}  # fmt: skip


def wait_quiet(base_url: str, key: str, data_dir: Path, inbox: Path, ledger: Ledger) -> list[str]:
    """Wait (with a deadline) until the inbox folder holds only non-books, nothing is processing
    and no job is waiting or active: the state every check expects."""
    non_books = {s.name for s in ledger.sources if not s.book}
    deadline = time.monotonic() + QUIET_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        waiting = [p.name for p in inbox.rglob("*") if p.is_file() and p.name not in non_books]
        processing = httpx.get(base_url + "/api/inbox/processing", headers={"X-API-Key": key}, timeout=10).json()
        with closing(checks.read_only(data_dir / "bookshelf.db")) as conn:
            idle = checks.queue_idle(conn)
        if not waiting and not processing and idle:
            return []
        state = f"inbox {waiting[:3]}, processing {len(processing)}, queue idle {idle}"
        time.sleep(0.1)
    return [f"work did not complete within {QUIET_TIMEOUT:.0f}s: {state}"]


def check(base_url: str, key: str, data_dir: Path, inbox: Path, ledger: Ledger) -> list[str]:
    problems = wait_quiet(base_url, key, data_dir, inbox, ledger)
    conn = checks.read_only(data_dir / "bookshelf.db")
    try:
        problems += checks.integrity(conn)
        problems += checks.accounting(conn, data_dir, inbox, ledger)
        problems += checks.orphans(conn)
        problems += checks.syncs_kept(conn, ledger)
    finally:
        conn.close()
    return problems + checks.doctor(data_dir, inbox)


def run(work_dir: Path, kills: int = 20, files: int = 200, seed: int = 1,
        min_life: float = 0.3, max_life: float = 3.0, log: Callable[[str], None] = print) -> Totals:  # fmt: skip
    """The whole harness; returns the totals (violations listed) instead of exiting."""
    from tests.serve import running_server

    rng = random.Random(seed)
    data_dir, staging = work_dir / "data", work_dir / "staging"
    inbox = data_dir / "inbox"
    ledger = Ledger(sources=make_sources(staging, files, rng))
    totals = Totals(files=len(ledger.sources))
    key = ""
    for life in range(kills + 1):
        last = life == kills
        with running_server(data_dir, env=serve_env(), ready_timeout=60) as server:
            if not key:
                key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "harness"}).json()["key"]
                # Lookups would go nowhere (the providers are unreachable here) and only slow the stream.
                httpx.patch(server.base_url + "/api/settings", headers={"X-API-Key": key},
                            json={"metadataSources": []}).raise_for_status()  # fmt: skip
            else:
                found = check(server.base_url, key, data_dir, inbox, ledger)
                totals.violations += [f"after kill {life}: {v}" for v in found]
                log(f"restart {life}: {len(found)} violation(s)" + "".join(f"\n  {v}" for v in found))
            if last:
                for source in [s for s in ledger.sources if not s.via]:
                    drop(source, staging, inbox)
                found = check(server.base_url, key, data_dir, inbox, ledger)
                totals.violations += [f"at the end: {v}" for v in found]
                break
            remaining = [s for s in ledger.sources if not s.via]
            workload = Workload(server.base_url, key, staging, inbox, ledger, totals, rng,
                                budget=-(-len(remaining) // (kills - life)))  # fmt: skip
            workload.start()
            time.sleep(rng.uniform(min_life, max_life))  # the random moment of the kill
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
            workload.join()
            totals.kills += 1
    with closing(checks.read_only(data_dir / "bookshelf.db")) as conn:
        totals.books = conn.execute("SELECT count(*) FROM books").fetchone()[0]
    totals.syncs = len(ledger.syncs)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work-dir", type=Path, help="keep everything here (default: a temp folder, removed)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bookshelf-crash-") as temp:
        work_dir = args.work_dir or Path(temp)
        started = time.monotonic()
        totals = run(work_dir, kills=args.kills, files=args.files, seed=args.seed)
        print(totals.render() + f", {time.monotonic() - started:.0f} s")
        for violation in totals.violations:
            print("VIOLATION", violation)
    return 1 if totals.violations else 0


if __name__ == "__main__":
    sys.exit(main())
