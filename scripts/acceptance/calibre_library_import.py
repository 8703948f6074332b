"""Acceptance: `bookshelf import --from-calibre` on a library made by calibre's own `calibredb`.

Builds a calibre library of N books with `calibredb add` (EPUBs with varied metadata and covers,
one folder per book with `-1`, every tenth also a PDF), adds some books one by one with metadata
flags (--title/--authors/--series/--series-index/--tags/--isbn/--languages/--cover), changes some
with `calibredb set_metadata` and gives some a second format with `calibredb add_format`. Then runs
`bookshelf import --from-calibre LIB --data-dir DATA` as a subprocess and checks in bookshelf's
database that every book, format, cover, series and tag calibre lists is there, and that every file
under the library kept its SHA-256 and mtime. Prints the import rate. Finally SIGKILLs a second
import into a fresh data folder part-way, runs it again, and checks it holds exactly N books.

Exit status 1 when anything is missing or changed. Needs calibre; not part of `make test`.

    python scripts/acceptance/calibre_library_import.py [--books 500] [--keep DIR]   (--books 10000 in full)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibre_tools import ROOT, SourceMeta, norm_text, run_calibre, varied_meta  # noqa: E402

EXTRA_CALLS = 10  # books added one by one with flags, changed with set_metadata, given a format with add_format


def make_files(folder: Path, count: int) -> list[tuple[Path, SourceMeta]]:
    from tests.builders import make_epub, make_jpeg, make_pdf, make_png

    rng = random.Random(7)
    covers = {"jpeg": make_jpeg(300, 450, noise=True), "png": make_png(300, 450)}
    out = []
    for i in range(count):
        meta = varied_meta(i, rng)
        book_dir = folder / f"b{i:05d}"
        book_dir.mkdir(parents=True, exist_ok=True)
        path = book_dir / f"book{i:05d}.epub"
        make_epub(path, title=meta.title, authors=meta.authors, series=meta.series, series_index=meta.series_index,
                  isbn=meta.isbn, language=meta.language, subjects=meta.tags,
                  cover=covers[meta.cover] if meta.cover else None)  # fmt: skip
        if i % 10 == 5:
            make_pdf(book_dir / f"book{i:05d}.pdf", title=meta.title, author=" & ".join(meta.authors), pages=2)
        out.append((path, meta))
    return out


def build_library(work: Path, count: int) -> Path:
    lib = work / "calibre-library"
    lib.mkdir(parents=True, exist_ok=True)
    files = make_files(work / "sources", count)
    singles, bulk = files[:EXTRA_CALLS], files[EXTRA_CALLS:]
    started = time.monotonic()
    if bulk:
        staging = work / "bulk"
        staging.mkdir(exist_ok=True)
        for path, _ in bulk:
            path.parent.rename(staging / path.parent.name)
        run_calibre(["calibredb", "add", "--library-path", str(lib), "--duplicates", "-r", "-1", str(staging)],
                    timeout=7200)  # fmt: skip
    for n, (path, meta) in enumerate(singles):
        cover = work / f"flag-cover-{n}.jpg"
        from tests.builders import make_jpeg

        cover.write_bytes(make_jpeg(200, 300, color=(n * 20, 90, 160)))
        run_calibre([
            "calibredb", "add", "--library-path", str(lib), "--duplicates", str(path),
            "--title", f"Flagged {meta.title}", "--authors", "Анна Ахматова & Jorge Luis Borges",
            "--series", "Flag Series", "--series-index", str(n + 1), "--tags", f"flag,Tag {n},Ünïcode",
            "--isbn", "9780441478125", "--languages", "rus", "--cover", str(cover),
        ])  # fmt: skip
    ids = [row["id"] for row in calibre_books(lib)]
    for n, book_id in enumerate(ids[EXTRA_CALLS : 2 * EXTRA_CALLS]):
        run_calibre(["calibredb", "set_metadata", "--library-path", str(lib), str(book_id),
                     "--field", f"series:Changed Series {n % 3}", "--field", f"series_index:{n + 0.5}",
                     "--field", f"tags:changed,Жанр {n}"])  # fmt: skip
    from tests.builders import make_pdf

    for n, book_id in enumerate(ids[2 * EXTRA_CALLS : 3 * EXTRA_CALLS]):
        extra = make_pdf(work / f"extra-{n}.pdf", title=f"Extra format {n}", author="Someone", pages=1)
        run_calibre(["calibredb", "add_format", "--library-path", str(lib), str(book_id), str(extra)])
    print(f"calibre library of {count} books built with calibredb in {time.monotonic() - started:.0f} s", flush=True)
    return lib


def calibre_books(lib: Path) -> list[dict]:
    fields = "title,authors,series,series_index,tags,formats,cover,identifiers"
    out = run_calibre(["calibredb", "list", "--library-path", str(lib), "--for-machine", "--fields", fields,
                       "--limit", "10000000"]).stdout  # fmt: skip
    return json.loads(out)


def fingerprints(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def import_command(lib: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "bookshelf", "import", "--from-calibre", str(lib), "--data-dir", str(data)]


def db_rows(data: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{data / 'bookshelf.db'}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def check_import(data: Path, expected: list[dict]) -> list[str]:
    """Every calibre book in bookshelf's database with its formats, cover, series and tags."""
    calibre_rows = db_rows(data, "SELECT source, book_id FROM import_sources WHERE source LIKE 'calibre:%'")
    sources = {int(src.rsplit(":", 1)[1]): book_id for src, book_id in calibre_rows}
    columns = "id, title, authors, series, series_index, genres, tags, cover_sha256"
    books = {r[0]: r[1:] for r in db_rows(data, f"SELECT {columns} FROM books")}
    formats: dict[str, list[str]] = {}
    for book_id, fmt in db_rows(data, "SELECT book_id, format FROM files"):
        formats.setdefault(book_id, []).append(fmt.lower())
    problems = []
    for cb in expected:
        book_id = sources.get(cb["id"])
        if book_id not in books:
            problems.append(f"calibre book {cb['id']} {cb['title']!r}: not imported")
            continue
        title, authors, series, index, genres, tags, cover = books[book_id]
        where = f"calibre book {cb['id']} {cb['title']!r}"
        want_formats = sorted(Path(f).suffix[1:].lower() for f in cb.get("formats", []))
        if sorted(formats.get(book_id, [])) != want_formats:
            problems.append(f"{where}: formats {sorted(formats.get(book_id, []))} != calibre's {want_formats}")
        if norm_text(title) != norm_text(cb["title"]):
            problems.append(f"{where}: title {title!r}")
        if [norm_text(a) for a in json.loads(authors)] != [norm_text(a) for a in cb["authors"].split(" & ")]:
            problems.append(f"{where}: authors {authors} != {cb['authors']!r}")
        if bool(cover) != bool(cb.get("cover")):
            problems.append(f"{where}: cover {'missing' if cb.get('cover') else 'unexpected'}")
        if norm_text(series) != norm_text(cb.get("series")) or (
            cb.get("series") and abs((index or 0) - float(cb["series_index"])) > 1e-6
        ):
            problems.append(f"{where}: series {series!r} #{index} != {cb.get('series')!r} #{cb.get('series_index')}")
        have_tags = {norm_text(t) for t in json.loads(genres) + json.loads(tags)}
        missing = {norm_text(t) for t in cb.get("tags", [])} - have_tags
        if missing:
            problems.append(f"{where}: tags {sorted(missing)} missing")
    if len(books) != len(expected):
        problems.append(f"bookshelf holds {len(books)} books, calibre {len(expected)}")
    return problems


def killed_and_resumed(lib: Path, data: Path, count: int) -> list[str]:
    log = (data.parent / f"{data.name}.log").open("w")
    process = subprocess.Popen(import_command(lib, data), stdout=log, stderr=subprocess.STDOUT)
    deadline, seen = time.monotonic() + 600, 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            seen = db_rows(data, "SELECT count(*) FROM import_sources")[0][0]
        except sqlite3.Error:
            seen = 0  # not created yet
        if seen >= max(1, count // 3):
            break
        time.sleep(0.02)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()
        print(f"second import SIGKILLed with {seen} of {count} books recorded", flush=True)
    else:
        print(f"second import finished (exit {process.returncode}) before it could be killed", flush=True)
    rerun = subprocess.run(import_command(lib, data), capture_output=True, text=True)
    problems = [] if rerun.returncode == 0 else [f"resumed import exit {rerun.returncode}: {rerun.stdout[-1000:]}"]
    books = db_rows(data, "SELECT count(*) FROM books")[0][0]
    print(f"after the resumed import: {books} books (expected exactly {count})")
    if books != count:
        problems.append(f"resumed import holds {books} books, not {count}")
    return problems


def run(work: Path, count: int) -> int:
    lib = work / "calibre-library"
    if not (lib / "metadata.db").exists():
        lib = build_library(work, count)
    expected = calibre_books(lib)
    total_formats = sum(len(b.get("formats", [])) for b in expected)
    covers = sum(1 for b in expected if b.get("cover"))
    print(f"calibre lists {len(expected)} books, {total_formats} files, {covers} covers, "
          f"{sum(1 for b in expected if b.get('series'))} in series", flush=True)  # fmt: skip
    before = fingerprints(lib)
    data = work / "data-1"
    started = time.monotonic()
    first = subprocess.run(import_command(lib, data), capture_output=True, text=True)
    elapsed = time.monotonic() - started
    print(f"bookshelf import --from-calibre: {len(expected)} books in {elapsed:.1f} s = "
          f"{len(expected) / elapsed:.1f} books/s (exit {first.returncode}, includes process start)")  # fmt: skip
    print("  " + (first.stdout.strip().splitlines() or [""])[-1])
    problems = [] if first.returncode == 0 else [f"import exit {first.returncode}: {first.stdout[-2000:]}"]
    problems += check_import(data, expected)
    after = fingerprints(lib)
    changed = [p for p in before if before[p] != after.get(p)]
    print(f"originals: {len(before)} files under the library, {len(changed)} changed or missing after the import")
    problems += [f"original changed: {p}" for p in changed]
    problems += killed_and_resumed(lib, work / "data-2", len(expected))
    if fingerprints(lib) != before:
        problems.append("originals changed by the killed and resumed import")
    print(f"\n{'ok' if not problems else f'{len(problems)} PROBLEMS'}")
    for line in problems[:200]:
        print("  " + line)
    return 0 if not problems else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="work here and keep it (a library already built there is reused)")
    args = parser.parse_args(argv)
    if args.books < 3 * EXTRA_CALLS:
        parser.error(f"--books must be at least {3 * EXTRA_CALLS}")
    if args.keep:
        for old in ("data-1", "data-2"):
            if (args.keep / old).exists():
                parser.error(f"{args.keep / old} exists: remove it or use another --keep folder")
        return run(args.keep, args.books)
    with tempfile.TemporaryDirectory(prefix="calibre-import-") as work:
        return run(Path(work), args.books)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
