"""Throughput and memory of bookshelf.formats on generated books (prints figures; not a test).

Usage: python scripts/bench/bench_formats.py [--epubs 200] [--pdfs 50] [--large-mb 500]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bookshelf.formats import (  # noqa: E402
    EpubMetadata,
    file_hashes,
    read_book,
    write_epub_metadata,
)
from tests.builders import make_epub, make_jpeg, make_pdf  # noqa: E402


def generate_epubs(folder: Path, count: int) -> list[Path]:
    rng = random.Random(1)
    cover = make_jpeg(400, 600, noise=True)
    paths = []
    for i in range(count):
        filler = rng.randbytes(max(0, rng.randint(300_000, 2_000_000) - len(cover)))
        paths.append(make_epub(folder / f"book{i}.epub", title=f"Book {i}",
                               authors=[f"Author {i}"], series="Bench", series_index=i,
                               isbn="9780306406157", description="<p>Bench</p>" * 20,
                               cover=cover, body_bytes=50_000,
                               extra_entries={"OEBPS/images/filler.bin": filler}))
    return paths


def timed(label: str, paths: list[Path], work: object) -> None:
    start = time.perf_counter()
    for path in paths:
        work(path)  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in paths) / len(paths) / 1024
    print(f"{label:<42} {len(paths) / elapsed:8.1f} files/s  ({len(paths)} files, "
          f"avg {size:.0f} KiB)")


def read_and_hash(path: Path) -> None:
    read_book(path)
    file_hashes(path)


def write_large_pdf(path: Path, megabytes: int) -> None:
    """Pages each holding their own copy of a noise JPEG, written object by object."""
    image = make_jpeg(2000, 2000, noise=True)
    pages = max(1, megabytes * 1024 * 1024 // len(image))
    offsets: list[int] = []
    with open(path, "wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode() + body)
            if stream is not None:
                out.write(b"\nstream\n" + stream + b"\nendstream")
            out.write(b"\nendobj\n")

        kids = " ".join(f"{3 + i * 3} 0 R" for i in range(pages))
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        obj(2, f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
        for i in range(pages):
            page, content, img = 3 + i * 3, 4 + i * 3, 5 + i * 3
            draw = b"q 600 0 0 600 0 0 cm /Im0 Do Q"
            obj(page, (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 600] "
                       f"/Resources << /XObject << /Im0 {img} 0 R >> >> "
                       f"/Contents {content} 0 R >>").encode())
            obj(content, f"<< /Length {len(draw)} >>".encode(), draw)
            obj(img, (f"<< /Type /XObject /Subtype /Image /Width 2000 /Height 2000 "
                      f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                      f"/Length {len(image)} >>").encode(), image)
        info = 3 + pages * 3
        obj(info, b"<< /Title (A Very Large PDF) /Author (Bench Author) >>")
        xref = out.tell()
        out.write(f"xref\n0 {info + 1}\n0000000000 65535 f \n".encode())
        out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
        out.write(f"trailer\n<< /Size {info + 1} /Root 1 0 R /Info {info} 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode())


def measure_large(path: Path) -> None:
    """Runs in a fresh process so the peak RSS belongs to this one file alone."""
    start = time.perf_counter()
    book = read_book(path)
    hashes = file_hashes(path)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"large PDF {path.stat().st_size / 1024**2:.0f} MiB, {book.page_count} pages: "
          f"read_book+hashes {elapsed:.2f} s, peak RSS {peak:.0f} MiB "
          f"(title {book.title!r}, cover {len(book.cover or b'')} bytes, md5 {hashes[0][:8]})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epubs", type=int, default=200)
    parser.add_argument("--pdfs", type=int, default=50)
    parser.add_argument("--large-mb", type=int, default=500)
    parser.add_argument("--measure-large", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_large:
        measure_large(args.measure_large)
        return
    with tempfile.TemporaryDirectory(prefix="bookshelf-bench-") as tmp:
        folder = Path(tmp)
        epubs = generate_epubs(folder, args.epubs)
        pdfs = [make_pdf(folder / f"doc{i}.pdf", title=f"Doc {i}", pages=20)
                for i in range(args.pdfs)]
        read_book(epubs[0])  # import the format libraries before timing
        read_book(pdfs[0])
        timed("EPUB read_book + file_hashes", epubs, read_and_hash)
        timed("PDF read_book + file_hashes", pdfs, read_and_hash)
        meta = EpubMetadata(title="Rewritten", authors=["New Author"], series="S",
                            series_index=2, isbn13="9780306406157", language="en",
                            description="New text", genres=["x"])
        timed("EPUB write_epub_metadata (checked)", epubs[:50],
              lambda p: write_epub_metadata(p, meta))
        large = folder / "large.pdf"
        write_large_pdf(large, args.large_mb)
        subprocess.run([sys.executable, __file__, "--measure-large", str(large)], check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})


if __name__ == "__main__":
    main()
