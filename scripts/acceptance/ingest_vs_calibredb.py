"""Acceptance: ingest time of `bookshelf serve` against `calibredb add` on the same EPUBs.

Generates N EPUBs (default 1,000; varied unicode metadata, covers on two thirds), then
  * bookshelf: starts `bookshelf serve` as a subprocess, turns metadata lookup off
    (PATCH /api/settings {"metadataSources": []}), moves all N into the inbox folder and times
    until all N are in review;
  * calibre: `calibredb add -r` of the same files into an empty library, timed.
Prints both times and the ratio. Exit status 1 when bookshelf does not get all N to review or
calibre does not add all N. Needs calibre; not part of `make test`.

    python scripts/acceptance/ingest_vs_calibredb.py [--books 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibre_tools import ROOT, run_calibre, varied_meta  # noqa: E402

sys.path.insert(0, str(ROOT))


def make_corpus(folder: Path, count: int) -> list[Path]:
    from tests.builders import make_epub, make_jpeg, make_png

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    covers = {"jpeg": make_jpeg(300, 450, noise=True), "png": make_png(300, 450)}
    paths = []
    for i in range(count):
        meta = varied_meta(i, rng)
        path = folder / f"book{i:05d}.epub"
        if not path.exists():
            make_epub(path, title=meta.title, authors=meta.authors, series=meta.series,
                      series_index=meta.series_index, isbn=meta.isbn, language=meta.language,
                      subjects=meta.tags, cover=covers[meta.cover] if meta.cover else None,
                      body_bytes=20_000)  # fmt: skip
        paths.append(path)
    return paths


def time_bookshelf(corpus: list[Path], work: Path) -> tuple[float, int]:
    import httpx

    from tests.serve import running_server

    data = work / "bookshelf-data"
    staging = work / "bookshelf-staging"  # same filesystem as the inbox, so a move is a rename
    staging.mkdir(parents=True, exist_ok=True)
    staged = [Path(shutil.copy2(p, staging / p.name)) for p in corpus]
    with running_server(data, env={"BOOKSHELF_LOG_LEVEL": "warning"}) as server:
        key = httpx.post(server.base_url + "/api/auth/setup", json={"label": "acceptance"}).json()["key"]
        http = httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=30)
        http.patch("/api/settings", json={"metadataSources": []}).raise_for_status()
        inbox = data / "inbox"
        # Older than the watcher's settle time, as a finished download or `mv` would be.
        past = time.time() - 60
        for path in staged:
            os.utime(path, (past, past))
        started = time.monotonic()
        for path in staged:
            os.rename(path, inbox / path.name)
        deadline = started + max(600.0, len(corpus) * 2.0)
        review = 0
        while time.monotonic() < deadline:
            review = int(http.get("/api/inbox/count").json()["byStatus"]["review"])
            if review >= len(corpus):
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    return elapsed, review


def time_calibredb(corpus: list[Path], work: Path) -> tuple[float, int]:
    lib = work / "calibre-library"
    shutil.rmtree(lib, ignore_errors=True)
    lib.mkdir(parents=True)
    run_calibre(["calibredb", "list", "--library-path", str(lib), "--limit", "1"])  # create the empty library
    started = time.monotonic()
    run_calibre(["calibredb", "add", "--library-path", str(lib), "-r", str(corpus[0].parent)], timeout=7200)
    elapsed = time.monotonic() - started
    listed = json.loads(
        run_calibre(
            [
                "calibredb",
                "list",
                "--library-path",
                str(lib),
                "--for-machine",
                "--fields",
                "title",
                "--limit",
                "10000000",
            ]
        ).stdout  # fmt: skip
    )
    return elapsed, len(listed)


def run(work: Path, count: int) -> int:
    print(f"generating {count} EPUBs in {work} ...", flush=True)
    corpus = make_corpus(work / "corpus", count)
    ours, reviewed = time_bookshelf(corpus, work)
    print(f"bookshelf serve: {reviewed} of {count} EPUBs dropped -> review in {ours:.1f} s "
          f"({reviewed / ours:.1f} books/s), metadata lookup off", flush=True)  # fmt: skip
    theirs, added = time_calibredb(corpus, work)
    print(f"calibredb add -r: {added} of {count} EPUBs added in {theirs:.1f} s ({added / theirs:.1f} books/s)")
    print(f"ratio bookshelf / calibredb time: {ours / theirs:.2f} ({theirs / ours:.2f}x calibredb's speed); "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    ok = reviewed >= count and added >= count
    print("ok" if ok else "MISSED: not every book arrived")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="work here and keep it (the generated EPUBs are reused)")
    args = parser.parse_args(argv)
    if args.keep:
        shutil.rmtree(args.keep / "bookshelf-data", ignore_errors=True)
        shutil.rmtree(args.keep / "bookshelf-staging", ignore_errors=True)
        return run(args.keep, args.books)
    with tempfile.TemporaryDirectory(prefix="ingest-vs-calibredb-") as work:
        return run(Path(work), args.books)


if __name__ == "__main__":
    sys.exit(main())
