"""A calibre library whose metadata.db is missing or damaged is imported from each book's metadata.opf."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookshelf.db.connection import fetchall
from bookshelf.errors import CalibreError
from bookshelf.formats import read_book
from bookshelf.runtime import Runtime
from bookshelf.services.storage.files import cover_path, file_path
from tests.importing.calibre_library import make_calibre_library, snapshot
from tests.importing.test_calibre_import import all_books, library_books, run


def damage(db: Path) -> None:
    """Overwrite most of metadata.db's pages, the way a bad disk or a half-copied file leaves it."""
    data = bytearray(db.read_bytes())
    data[200:] = b"\xa5" * (len(data) - 200)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["missing", "damaged"])
async def test_library_is_read_from_the_opfs_when_metadata_db_cannot_be(runtime: Runtime, tmp_path: Path,
                                                                        how: str) -> None:  # fmt: skip
    books = library_books()
    lib = make_calibre_library(tmp_path / "calibre", books)
    if how == "missing":
        (lib / "metadata.db").unlink()
    else:
        damage(lib / "metadata.db")
    before = snapshot(lib)

    report = await run(runtime, lib)

    assert len(report.imported) == 3 and not report.failed and report.organized == 3  # type: ignore[attr-defined]
    notice = [n for n in report.notes if n["kind"] == "notice"]  # type: ignore[attr-defined]
    assert notice and "metadata.opf" in notice[0]["reason"]
    found = await all_books(runtime)
    lh = found["The Left Hand of Darkness"]
    assert lh.status == "organized"
    assert lh.authors == ["Ursula K. Le Guin"] and lh.author_sort == "le guin, ursula k."
    assert (lh.series, lh.series_index) == ("Hainish Cycle", 4.0)
    assert lh.genres == ["Science Fiction", "Classics"]
    assert (lh.isbn10, lh.isbn13) == ("0441478123", "9780441478125")
    assert lh.identifiers["goodreads"] == "18423"
    assert (lh.publisher, lh.published_year, lh.language, lh.rating) == ("Ace", 1969, "en", 4.0)
    assert lh.description == "A classic of & more.\n\nSecond paragraph."
    assert sorted(f.format for f in lh.files) == ["epub", "pdf"]
    assert all(f.root == "library" for f in lh.files)
    assert lh.cover_sha256 and cover_path(runtime.settings, lh.cover_sha256).is_file()
    epub = next(f for f in lh.files if f.format == "epub")
    embedded = read_book(file_path(runtime.settings, epub))  # filed as organize files it
    assert (embedded.title, embedded.series, embedded.cover is not None) == (lh.title, "Hainish Cycle", True)

    dune = found["Dune"]
    assert (dune.language, dune.rating, dune.published_year) == ("fr", 5.0, None)
    omens = found["Good Omens"]
    assert omens.authors == ["Terry Pratchett", "Neil Gaiman"] and omens.cover_sha256 is None
    async with runtime.db.read() as conn:
        sorts = {r["name"]: r["sort_name"] for r in await fetchall(conn, "SELECT name, sort_name FROM authors")}
        series = [r["name"] for r in await fetchall(conn, "SELECT name FROM series ORDER BY name")]
    assert sorts["Neil Gaiman"] == "Gaiman, Neil" and series == ["Dune", "Hainish Cycle"]
    assert snapshot(lib) == before


async def test_a_rerun_from_the_opfs_continues_and_doubles_nothing(runtime: Runtime, tmp_path: Path) -> None:
    lib = make_calibre_library(tmp_path / "calibre", library_books())
    (lib / "metadata.db").unlink()
    first = await run(runtime, lib)
    again = await run(runtime, lib)

    assert len(first.imported) == 3  # type: ignore[attr-defined]
    assert again.earlier == 3 and again.total == 0 and not again.imported  # type: ignore[attr-defined]
    assert len(await all_books(runtime)) == 3


async def test_an_unreadable_opf_fails_its_book_only(runtime: Runtime, tmp_path: Path) -> None:
    import shutil

    books = library_books()
    lib = make_calibre_library(tmp_path / "calibre", books)
    (lib / "metadata.db").unlink()
    shutil.copytree(lib / books[0].path, lib / ".caltrash" / "Deleted (9)")  # calibre's, not a book to import
    (lib / books[1].path / "metadata.opf").write_text("<package><metadata>", encoding="utf-8")

    report = await run(runtime, lib)

    assert sorted(found for found in await all_books(runtime)) == ["Good Omens", "The Left Hand of Darkness"]
    assert len(report.failed) == 1 and "metadata.opf" in report.failed[0]["reason"]  # type: ignore[attr-defined]
    assert report.failed[0]["name"] == books[1].path  # type: ignore[attr-defined]


async def test_a_folder_that_is_no_calibre_library_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    empty = tmp_path / "not-calibre"
    (empty / "Author" / "Book (1)").mkdir(parents=True)

    with pytest.raises(CalibreError, match="no metadata.db"):
        await run(runtime, empty)
