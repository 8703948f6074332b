"""Importing calibre libraries: metadata, every format and cover, originals untouched, duplicates, review."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from bookshelf.db import books as book_rows
from bookshelf.db import candidates as candidate_rows
from bookshelf.db.connection import fetchall
from bookshelf.runtime import Runtime
from bookshelf.services.importing.service import ImportRequest
from bookshelf.services.storage.files import cover_path, file_path
from tests.builders import make_epub
from tests.importing.calibre_library import CBook, default_cover, make_calibre_library, snapshot


def le_guin(**overrides: object) -> CBook:
    values: dict[str, object] = dict(
        title="The Left Hand of Darkness", authors=[("Ursula K. Le Guin", "Le Guin, Ursula K.")],
        formats=["EPUB", "PDF", "TXT"], series="Hainish Cycle", series_index=4.0,
        tags=["Science Fiction", "Classics"], identifiers={"isbn": "978-0-441-47812-5", "goodreads": "18423"},
        publisher="Ace", pubdate="1969-03-01 00:00:00+00:00", languages=["eng"],
        comments="<div><p>A <b>classic</b> of &amp; more.</p><p>Second paragraph.</p></div>", rating=8,
        cover=default_cover(1),
    )  # fmt: skip
    values.update(overrides)
    return CBook(**values)  # type: ignore[arg-type]


def library_books() -> list[CBook]:
    return [
        le_guin(),
        CBook(
            "Dune",
            authors=[("Frank Herbert", "Herbert, Frank")],
            formats=["EPUB"],
            series="Dune",
            series_index=1.0,
            tags=["Science Fiction"],
            identifiers={"isbn": "0441013597"},
            languages=["fre", "eng"],
            rating=10,
            cover=default_cover(2),
        ),  # fmt: skip
        CBook(
            "Good Omens",
            authors=[("Terry Pratchett", "Pratchett, Terry"), ("Neil Gaiman", "Gaiman, Neil")],
            formats=["PDF"],
            identifiers={"isbn": "9780000000001"},
        ),  # invalid checksum  # fmt: skip
    ]


async def run(rt: Runtime, path: Path, **options: object) -> object:
    req = ImportRequest(path, "calibre", **options)  # type: ignore[arg-type]
    return await rt.importer.run(req, [])


async def all_books(rt: Runtime) -> dict[str, object]:
    async with rt.db.read() as conn:
        rows = await fetchall(conn, "SELECT id FROM books ORDER BY num")
        books = await book_rows.get_many(conn, [r["id"] for r in rows])
    return {b.title: b for b in books}


async def test_calibre_library_arrives_whole_and_organized(runtime: Runtime, tmp_path: Path) -> None:
    books = library_books()
    lib = make_calibre_library(tmp_path / "calibre", books)
    before = snapshot(lib)

    report = await run(runtime, lib)

    assert len(report.imported) == 3 and not report.failed and not report.duplicates  # type: ignore[attr-defined]
    assert report.organized == 3  # type: ignore[attr-defined]
    found = await all_books(runtime)
    lh = found["The Left Hand of Darkness"]
    assert lh.status == "organized" and lh.organized_at
    assert lh.authors == ["Ursula K. Le Guin"] and lh.author_sort == "le guin, ursula k."
    assert (lh.series, lh.series_index) == ("Hainish Cycle", 4.0)
    assert lh.genres == ["Science Fiction", "Classics"]
    assert (lh.isbn10, lh.isbn13) == ("0441478123", "9780441478125")
    assert lh.identifiers["goodreads"] == "18423"
    assert (lh.publisher, lh.published_year, lh.language, lh.rating) == ("Ace", 1969, "en", 4.0)
    assert lh.description == "A classic of & more.\n\nSecond paragraph."
    assert sorted(f.format for f in lh.files) == ["epub", "pdf"]  # TXT is not a format we serve
    assert all(f.root == "library" for f in lh.files)
    assert lh.cover_sha256 and cover_path(runtime.settings, lh.cover_sha256).is_file()
    assert cover_path(runtime.settings, lh.cover_sha256, thumb=True).is_file()

    dune = found["Dune"]
    assert (dune.isbn10, dune.isbn13, dune.language, dune.rating) == ("0441013597", "9780441013593", "fr", 5.0)
    assert dune.published_year is None  # calibre's undefined 0101-01-01
    omens = found["Good Omens"]
    assert omens.authors == ["Terry Pratchett", "Neil Gaiman"]
    assert omens.isbn13 is None and omens.identifiers["isbn"] == "9780000000001"  # kept, not trusted
    assert omens.cover_sha256 is None

    async with runtime.db.read() as conn:
        sorts = {r["name"]: r["sort_name"] for r in await fetchall(conn, "SELECT name, sort_name FROM authors")}
    assert sorts["Neil Gaiman"] == "Gaiman, Neil"

    # The PDF in our library is byte for byte calibre's (PDFs are not rewritten).
    src_pdf = next((lib / books[0].path).glob("*.pdf"))
    ours = next(f for f in lh.files if f.format == "pdf")
    assert hashlib.sha256(file_path(runtime.settings, ours).read_bytes()).hexdigest() == ours.sha256
    assert ours.sha256 == hashlib.sha256(src_pdf.read_bytes()).hexdigest()
    assert snapshot(lib) == before  # not a byte, timestamp or new file (no -wal, -shm, journal)
    assert not list(runtime.settings.incoming_dir.rglob("*"))  # everything was filed


async def test_read_only_library_is_imported_and_left_exactly_as_it_was(runtime: Runtime, tmp_path: Path) -> None:
    lib = make_calibre_library(tmp_path / "calibre", library_books())
    for path in [*lib.rglob("*"), lib]:
        mode = path.stat().st_mode
        os.chmod(path, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = snapshot(lib)
    try:
        report = await run(runtime, lib)
        assert len(report.imported) == 3  # type: ignore[attr-defined]
        # root ignores permission bits, so the listing with mtimes is the real proof.
        assert snapshot(lib) == before
    finally:
        for path in [lib, *lib.rglob("*")]:
            os.chmod(path, path.stat().st_mode | stat.S_IWUSR)


async def test_duplicates_are_skipped_and_listed(runtime: Runtime, tmp_path: Path) -> None:
    lib = make_calibre_library(tmp_path / "calibre", library_books())
    await run(runtime, lib)
    # A second library holding one of the same files (calibre copies keep the bytes).
    dune_epub = next(next((tmp_path / "calibre").glob("Frank Herbert/Dune*")).glob("*.epub")).read_bytes()
    other = make_calibre_library(tmp_path / "other", [
        CBook("Dune copy", formats=["EPUB"], files={"EPUB": dune_epub}),
        CBook("New one", formats=["EPUB"]),
    ])  # fmt: skip

    report = await run(runtime, other)

    assert [d["name"].split(" (")[0] for d in report.duplicates] == ["Dune copy"]  # type: ignore[attr-defined]
    assert len(report.imported) == 1  # type: ignore[attr-defined]
    found = await all_books(runtime)
    assert report.duplicates[0]["bookId"] == found["Dune"].id  # type: ignore[attr-defined]
    assert "Dune copy" not in found and "New one" in found
    assert "duplicate: Dune copy" in report.summary()  # type: ignore[attr-defined]


async def test_review_sends_books_to_the_inbox_with_calibre_candidate(runtime: Runtime, tmp_path: Path) -> None:
    lib = make_calibre_library(tmp_path / "calibre", [le_guin()])

    report = await run(runtime, lib, review=True)

    assert report.organized == 0  # type: ignore[attr-defined]
    book = (await all_books(runtime))["The Left Hand of Darkness"]
    assert book.status == "review" and book.organized_at is None
    assert all(f.root == "incoming" and file_path(runtime.settings, f).is_file() for f in book.files)
    async with runtime.db.read() as conn:
        candidates = await candidate_rows.for_book(conn, book.id)
    assert [(c.source, c.score) for c in candidates] == [("calibre", 1.0)]
    data = candidates[0].data
    assert (data["series"], data["isbn13"], data["genres"]) == ("Hainish Cycle", "9780441478125", book.genres)

    approved, _ = await runtime.review.approve(book.id, {})
    assert approved.status == "organized" and approved.series == "Hainish Cycle" and approved.rating == 4.0


async def test_paths_in_metadata_db_cannot_escape_the_library(runtime: Runtime, tmp_path: Path) -> None:
    import sqlite3

    outside = make_epub(tmp_path / "secret.epub", title="Not in calibre")
    lib = make_calibre_library(tmp_path / "calibre", [CBook("Sneaky", formats=["EPUB"])])
    conn = sqlite3.connect(lib / "metadata.db")
    conn.execute("UPDATE books SET path = '../..' || ? WHERE id = 1", (str(tmp_path),))
    conn.execute("UPDATE data SET name = 'secret' WHERE book = 1")
    conn.commit()
    conn.close()

    report = await run(runtime, lib)

    assert not report.imported and "outside the library" in report.failed[0]["reason"]  # type: ignore[attr-defined]
    assert outside.exists() and not await all_books(runtime)


async def test_not_a_calibre_library_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    from bookshelf.errors import InvalidInput
    from bookshelf.services.importing.service import check_request

    (tmp_path / "plain").mkdir()
    with pytest.raises(InvalidInput, match="not a calibre library"):
        check_request(ImportRequest(tmp_path / "plain", "calibre"))


async def test_epubs_are_written_once_with_their_metadata_and_keep_the_originals_hashes(
    runtime: Runtime, tmp_path: Path
) -> None:
    from bookshelf.formats import koreader_partial_md5, read_book
    from bookshelf.services.organize.service import fingerprint

    books = library_books()
    lib = make_calibre_library(tmp_path / "calibre", books)
    src = next((lib / books[0].path).glob("*.epub"))

    await run(runtime, lib)

    lh = (await all_books(runtime))["The Left Hand of Darkness"]
    epub = next(f for f in lh.files if f.format == "epub")
    on_disk = file_path(runtime.settings, epub)
    original = hashlib.sha256(src.read_bytes()).hexdigest()
    assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == epub.sha256 != original
    assert epub.koreader_hash == koreader_partial_md5(on_disk)
    assert read_book(on_disk).series == "Hainish Cycle"
    async with runtime.db.read() as conn:
        rows = await fetchall(conn, "SELECT kind, value FROM file_hashes WHERE file_id = ?", (epub.id,))
        embedded = await fetchall(conn, "SELECT embedded FROM files WHERE id = ?", (epub.id,))
    history = {(r["kind"], r["value"]) for r in rows}
    assert ("sha256", original) in history  # calibre's copy still maps here
    assert ("koreader", koreader_partial_md5(src)) in history
    assert embedded[0]["embedded"] == fingerprint(lh)  # filing found nothing left to rewrite
    again = await runtime.organizer.organize_book(lh.id)
    assert not again.touched
