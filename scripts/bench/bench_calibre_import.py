"""calibre import throughput on a generated calibre library (prints figures; not a test).

Builds a library of N books with calibre's real metadata.db schema (EPUBs,
every tenth book also a PDF, covers on half). The headline is end to end: one
import run that also files every book under the organize template (EPUB
metadata embedded), as `bookshelf import --from-calibre` does, target >= 100
books/s; it checks every file ended in the library. Then, into a fresh data
folder, the import alone (copy + verify + rows) and the filing alone are
timed separately. Finally every original's SHA-256 and mtime are checked.

Usage: python scripts/bench/bench_calibre_import.py [--books 2000]   (10000 for the large run)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bookshelf.runtime import Runtime  # noqa: E402
from bookshelf.services.importing.calibre import CalibreImporter  # noqa: E402
from bookshelf.services.importing.report import ImportReport  # noqa: E402
from bookshelf.settings import Settings, load  # noqa: E402
from tests.builders import make_epub, make_jpeg, make_pdf  # noqa: E402
from tests.importing.calibre_library import CBook, make_calibre_library  # noqa: E402


def build(folder: Path, count: int) -> Path:
    epub = folder / "template.epub"
    pdf = folder / "template.pdf"
    make_epub(epub, title="Template")
    make_pdf(pdf, title="Template")
    base_epub, base_pdf = epub.read_bytes(), pdf.read_bytes()
    cover = make_jpeg(300, 450, noise=True)
    books = []
    for i in range(count):
        # Distinct bytes per book (a trailing comment keeps the ZIP and PDF valid) so none is a duplicate.
        files = {"EPUB": base_epub + f"book {i}".encode()}
        if i % 10 == 0:
            files["PDF"] = base_pdf + f"\n%book {i}\n".encode()
        books.append(
            CBook(
                f"Bench Book {i}",
                authors=[(f"Author {i % 97}", f"{i % 97}, Author")],
                formats=list(files),
                files=files,
                series=f"Series {i % 50}" if i % 3 == 0 else None,
                series_index=float(i % 7),
                tags=["Fiction", f"Tag {i % 20}"],
                identifiers={"isbn": "9780441478125"} if i == 0 else {},
                languages=["eng"],
                comments=f"<p>Description of book {i}.</p>",
                rating=i % 11,
                cover=cover if i % 2 == 0 else None,
            )  # fmt: skip
        )
    return make_calibre_library(folder / "calibre", books)


def fingerprints(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


@dataclass
class Figures:
    end_to_end: float = 0.0
    import_only: float = 0.0
    organize_only: float = 0.0
    filed: int = 0  # files in the library folder, per the database, after the end-to-end run
    files: int = 0
    report: ImportReport = field(default_factory=ImportReport)
    split: ImportReport = field(default_factory=ImportReport)


async def timed(settings: Settings, library: Path, report: ImportReport, organize: bool) -> float:
    rt = await Runtime.open(settings, background=False)
    try:
        importer = CalibreImporter(rt.db, settings, report, rt.organizer if organize else None)
        started = time.perf_counter()
        await importer.run(library)
        return time.perf_counter() - started
    finally:
        await rt.close()


def settings_for(data: Path) -> Settings:
    return load(environ={}, data_dir=str(data), start_watcher=False, start_consumer=False)


async def measure(library: Path, work: Path) -> Figures:
    out = Figures()
    whole = settings_for(work / "data-e2e")
    out.end_to_end = await timed(whole, library, out.report, organize=True)
    with sqlite3.connect(whole.data_dir / "bookshelf.db") as conn:
        out.files, out.filed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE root = 'library') FROM files"
        ).fetchone()
    split = settings_for(work / "data-split")
    out.import_only = await timed(split, library, out.split, organize=False)
    # Every book is already imported: this run only files them.
    out.organize_only = await timed(split, library, out.split, organize=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-calibre-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        library = build(folder, args.books)
        print(f"built a calibre library of {args.books} books in {time.perf_counter() - started:.1f}s")
        before = fingerprints(library)
        got = asyncio.run(measure(library, folder))
        unchanged = fingerprints(library) == before
        books, report = len(got.report.imported), got.report
        print(f"calibre import, end to end (import + filing): {books} books, {report.organized} filed, "
              f"{len(report.failed)} failed, in {got.end_to_end:.2f}s = {books / got.end_to_end:.0f} books/s "
              f"(target >= 100)")  # fmt: skip
        print(f"  files in the library folder: {got.filed} of {got.files}")
        split = len(got.split.imported)
        print(f"  import alone (copy + verify + rows): {split} books in {got.import_only:.2f}s "
              f"= {split / got.import_only:.0f} books/s")  # fmt: skip
        print(f"  filing alone (organize template, EPUB metadata embedded): {got.split.organized} books in "
              f"{got.organize_only:.2f}s = {got.split.organized / got.organize_only:.0f} books/s")  # fmt: skip
        print(f"originals unchanged (sha256 + mtime of {len(before)} files, no new files): {unchanged}")
        complete = books == args.books == report.organized and got.filed == got.files and not report.failed
        if not unchanged or not complete:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
