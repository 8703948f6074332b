"""Acceptance: bookshelf's format readers against calibre's `ebook-meta` on books calibre made.

Writes ~40 small HTML books with varied metadata (unicode titles and authors, several authors,
series with indexes, ISBN-13 and ISBN-10, many languages, JPEG/PNG/no cover), converts each with
`ebook-convert` to EPUB (some EPUB 2), AZW3, MOBI (old MOBI and joint MOBI/KF8) and PDF, then for
every output compares `bookshelf.formats.read_book` with `ebook-meta` on title, authors, series,
series index, ISBN and language, and checks every cover calibre finds is found by bookshelf.

Targets: >= 95% of fields agree; every calibre-found cover found. Exit status 1 when missed.
Needs calibre (apt-get install -y calibre); not part of `make test`.

    python scripts/acceptance/formats_vs_calibre.py [--books 40] [--keep DIR] [--formats epub,azw3,mobi,pdf]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibre_tools import (  # noqa: E402
    SourceMeta,
    meta_authors,
    meta_identifiers,
    meta_series,
    norm_text,
    parse_ebook_meta,
    run_calibre,
    varied_meta,
    write_cover,
    write_source_html,
)

FIELDS = ["title", "authors", "series", "series_index", "isbn", "language"]
TARGET_AGREEMENT = 0.95


def convert_args(src: Path, out: Path, meta: SourceMeta, cover: Path | None, i: int) -> list[str]:
    args = ["ebook-convert", str(src), str(out), "--title", meta.title, "--authors", " & ".join(meta.authors)]
    if meta.series:
        args += ["--series", meta.series, "--series-index", f"{meta.series_index:g}"]
    if meta.isbn:
        args += ["--isbn", meta.isbn]
    if meta.language:
        args += ["--language", meta.language]
    if cover:
        args += ["--cover", str(cover)]
    fmt = out.suffix[1:]
    if fmt == "epub" and i % 3 == 0:
        args += ["--epub-version", "2"]
    if fmt == "mobi":
        args += ["--mobi-file-type", "old" if i % 2 == 0 else "both"]
    return args


def build_corpus(work: Path, books: int, formats: list[str]) -> list[tuple[Path, SourceMeta]]:
    rng = random.Random(20261127)
    jobs = []
    for i in range(books):
        meta = varied_meta(i, rng)
        folder = work / f"book{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        src = write_source_html(folder / "source.html", meta)
        cover = None
        if meta.cover:
            cover = write_cover(folder / f"cover.{'jpg' if meta.cover == 'jpeg' else 'png'}", meta.cover, i)
        for fmt in formats:
            out = folder / f"book{i:03d}.{fmt}"
            jobs.append((out, meta, convert_args(src, out, meta, cover, i)))

    def convert(job: tuple[Path, SourceMeta, list[str]]) -> None:
        out, _, args = job
        if not out.exists():
            run_calibre(args)

    started = time.monotonic()
    todo = sum(1 for out, _, _ in jobs if not out.exists())
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(convert, jobs))
    print(f"converted {todo} files with ebook-convert in {time.monotonic() - started:.0f} s", flush=True)
    return [(out, meta) for out, meta, _ in jobs]


def calibre_view(path: Path) -> tuple[dict[str, object], bool]:
    cover = path.with_suffix(path.suffix + ".calibre-cover.jpg")
    cover.unlink(missing_ok=True)
    text = run_calibre(["ebook-meta", str(path), f"--get-cover={cover}"]).stdout
    meta = parse_ebook_meta(text)
    series, index = meta_series(meta.get("Series"))
    isbn = meta_identifiers(meta.get("Identifiers")).get("isbn")
    languages = (meta.get("Languages") or meta.get("Language") or "").split(",")
    view = {
        "title": meta.get("Title"),
        "authors": meta_authors(meta.get("Author(s)")),
        "series": series,
        "series_index": index if series else None,
        "isbn": isbn,
        "language": languages[0].strip() or None,
    }
    return view, cover.is_file() and cover.stat().st_size > 0


def bookshelf_view(path: Path) -> tuple[dict[str, object], bool]:
    from bookshelf.formats import read_book

    book = read_book(path)
    return {
        "title": book.title,
        "authors": book.authors,
        "series": book.series,
        "series_index": book.series_index if book.series else None,
        "isbn": book.isbn13 or book.isbn10 or book.identifiers.get("isbn"),
        "language": book.language,
    }, book.cover is not None


def normalise(name: str, value: object) -> object:
    from bookshelf.formats.isbn import both_forms
    from bookshelf.formats.language import to_bcp47

    if name == "authors":
        return [norm_text(a) for a in value or []]  # type: ignore[union-attr]
    if name == "series_index":
        return None if value is None else round(float(value), 3)  # type: ignore[arg-type]
    if name == "isbn":
        return both_forms(str(value))[1] if value else None
    if name == "language":
        code = to_bcp47(str(value)) if value else None
        return code.split("-")[0] if code else None
    return norm_text(str(value)) if value else None


def compare(files: list[tuple[Path, SourceMeta]]) -> bool:
    agree: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total: dict[str, int] = defaultdict(int)
    covers: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # calibre found, bookshelf found too
    problems: list[str] = []

    def one(item: tuple[Path, SourceMeta]) -> tuple[Path, SourceMeta, dict, bool, dict | str, bool]:
        path, meta = item
        theirs, their_cover = calibre_view(path)
        try:
            ours, our_cover = bookshelf_view(path)
        except Exception as exc:  # a FormatError here is itself a finding, not a crash of the check
            return path, meta, theirs, their_cover, f"{type(exc).__name__}: {exc}", False
        return path, meta, theirs, their_cover, ours, our_cover

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, files))
    for path, meta, theirs, their_cover, ours, our_cover in results:
        fmt = path.suffix[1:]
        total[fmt] += 1
        if isinstance(ours, str):
            problems.append(f"{path.name}: read_book failed: {ours}")
            ours = {}
        for name in FIELDS:
            a, b = normalise(name, theirs.get(name)), normalise(name, ours.get(name))
            if a == b:
                agree[fmt][name] += 1
            else:
                source = getattr(meta, name, None)
                problems.append(
                    f"{path.name} {name}: calibre {theirs.get(name)!r}, "
                    f"bookshelf {ours.get(name)!r} (source {source!r})"
                )
        if their_cover:
            covers[fmt][0] += 1
            covers[fmt][1] += our_cover
            if not our_cover:
                problems.append(f"{path.name} cover: calibre finds one, bookshelf does not")

    print(f"\n{'format':<7}{'files':>6}" + "".join(f"{f:>13}" for f in FIELDS) + f"{'covers':>10}")
    all_agree = all_fields = cover_miss = 0
    for fmt in sorted(total):
        cells = "".join(f"{agree[fmt][f]:>8}/{total[fmt]:<4}" for f in FIELDS)
        print(f"{fmt:<7}{total[fmt]:>6}{cells}{covers[fmt][1]:>6}/{covers[fmt][0]:<3}")
        all_agree += sum(agree[fmt].values())
        all_fields += total[fmt] * len(FIELDS)
        cover_miss += covers[fmt][0] - covers[fmt][1]
    rate = all_agree / all_fields if all_fields else 0.0
    found = sum(c[0] for c in covers.values())
    ok_fields, ok_covers = rate >= TARGET_AGREEMENT, cover_miss == 0
    print(f"\nfields agree: {all_agree}/{all_fields} = {rate:.1%} (target >= {TARGET_AGREEMENT:.0%}) "
          f"{'ok' if ok_fields else 'MISSED'}")  # fmt: skip
    verdict = "ok" if ok_covers else "MISSED"
    print(f"covers: bookshelf finds {found - cover_miss} of the {found} calibre finds {verdict}")
    if problems:
        print(f"\n{len(problems)} disagreements:")
        for line in problems:
            print("  " + line)
    return ok_fields and ok_covers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=40)
    parser.add_argument("--formats", default="epub,azw3,mobi,pdf")
    parser.add_argument("--keep", type=Path, help="build the corpus here and keep it (reused when run again)")
    args = parser.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if args.keep:
        return 0 if compare(build_corpus(args.keep, args.books, formats)) else 1
    with tempfile.TemporaryDirectory(prefix="formats-vs-calibre-") as work:
        return 0 if compare(build_corpus(Path(work), args.books, formats)) else 1


if __name__ == "__main__":
    sys.exit(main())
