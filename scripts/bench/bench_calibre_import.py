"""calibre import throughput on a generated calibre library (prints figures; not a test).

Builds a library of N books with calibre's real metadata.db schema (EPUBs,
every tenth book also a PDF, covers on half), imports it in-process, and
prints the import rate (copy + verify + rows, target >= 100 books/s) and the
organize rate (filing under the template, which rewrites EPUB metadata)
separately, then checks every original's SHA-256 and mtime are unchanged.

Usage: python scripts/bench/bench_calibre_import.py [--books 2000]   (10000 for the large run)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bookshelf.runtime import Runtime  # noqa: E402
from bookshelf.services.calibre_import import CalibreImporter  # noqa: E402
from bookshelf.services.import_report import ImportReport  # noqa: E402
from bookshelf.settings import load  # noqa: E402
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


async def measure(library: Path, data: Path) -> tuple[float, float, ImportReport]:
    settings = load(environ={}, data_dir=str(data), start_watcher=False, start_consumer=False)
    rt = await Runtime.open(settings, background=False)
    try:
        report = ImportReport()
        importer = CalibreImporter(rt.db, settings, report, organize=None)  # import only, timed alone
        started = time.perf_counter()
        await importer.run(library)
        imported = time.perf_counter() - started
        organizer = CalibreImporter(rt.db, settings, report, organize=rt.organizer.organize_book)
        started = time.perf_counter()
        await organizer.run(library)  # every book is already imported: this run only files them
        organized = time.perf_counter() - started
    finally:
        await rt.close()
    return imported, organized, report


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
        imported, organized, report = asyncio.run(measure(library, folder / "data"))
        unchanged = fingerprints(library) == before
        books = len(report.imported)
        print(f"calibre import: {books} books ({report.done} items, {len(report.failed)} failed) in {imported:.2f}s "
              f"= {books / imported:.0f} books/s (target >= 100)")  # fmt: skip
        print(f"organize under the template: {report.organized} books in {organized:.2f}s "
              f"= {report.organized / organized:.0f} books/s")  # fmt: skip
        print(f"originals unchanged (sha256 + mtime of {len(before)} files, no new files): {unchanged}")
        if not unchanged or books != args.books:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
