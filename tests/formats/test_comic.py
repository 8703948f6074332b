"""CBZ and CBR comics: ComicInfo, natural page order, page reads and rendering."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bookshelf.formats import comic_pages, page_count, read_book, read_page, render_page
from bookshelf.formats.comic import natural_key
from tests.builders import make_cbr, make_cbz, make_png
from tests.strict import skip_or_fail

INFO = {"Title": "Rückkehr — 帰還", "Series": "Серия", "Number": "3", "Volume": "2016",
        "Writer": "Ann Writer, 村上 春樹", "Penciller": "Pen Ciller", "Publisher": "דפוס",
        "Year": 2016, "Month": 5, "Summary": "<p>Sum &amp; mary</p>", "Genre": "Action, Drama",
        "Tags": "capes", "LanguageISO": "de", "PageCount": 12, "GTIN": "978-0-306-40615-7"}


def _need_libarchive() -> None:
    try:
        import libarchive  # noqa: F401
    except (ImportError, OSError, AttributeError) as exc:
        skip_or_fail(f"libarchive not available (apt package libarchive13): {exc}")


def test_natural_sort() -> None:
    names = ["page10.jpg", "page2.jpg", "Page1.jpg", "page1b.jpg"]
    assert sorted(names, key=natural_key) == ["Page1.jpg", "page1b.jpg", "page2.jpg",
                                              "page10.jpg"]


def test_cbz_comicinfo(tmp_path: Path) -> None:
    book = read_book(make_cbz(tmp_path / "c.cbz", pages=12, comicinfo=INFO))
    assert book.format == "cbz"
    assert book.title == INFO["Title"]
    assert (book.series, book.series_index) == ("Серия", 3.0)
    assert book.authors == ["Ann Writer", "村上 春樹", "Pen Ciller"]
    assert book.publisher == "דפוס"
    assert book.published_year == 2016
    assert book.description == "Sum & mary"
    assert book.genres == ["Action", "Drama", "capes"]
    assert book.language == "de"
    assert book.page_count == 12
    assert book.isbn13 == "9780306406157"
    assert book.cover == make_png(40, 60) and book.cover_media_type == "image/png"


def test_cbz_pages_in_natural_order(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "c.cbz", pages=12)
    pages = comic_pages(path, "cbz")
    assert pages[:3] == ["page1.png", "page2.jpg", "page3.jpg"] and pages[-1] == "page12.jpg"
    assert page_count(path, "cbz") == 12
    data, media_type = read_page(path, "cbz", 1)
    assert media_type == "image/jpeg" and data.startswith(b"\xff\xd8")


def test_cbz_without_comicinfo_uses_filename(tmp_path: Path) -> None:
    book = read_book(make_cbz(tmp_path / "Saga 003.cbz", pages=2))
    assert book.title == "Saga 003" and book.page_count == 2


def test_render_page_scales_down(tmp_path: Path) -> None:
    from PIL import Image

    path = make_cbz(tmp_path / "c.cbz", pages=2, page_size=(800, 1200))
    data, media_type = render_page(path, "cbz", 0, max_width=200)
    assert media_type == "image/jpeg" and Image.open(io.BytesIO(data)).size == (200, 300)
    same, kept_type = render_page(path, "cbz", 0, max_width=None)
    assert kept_type == "image/png" and Image.open(io.BytesIO(same)).size == (800, 1200)


def test_render_pdf_page(tmp_path: Path) -> None:
    from PIL import Image

    from tests.builders import make_pdf

    path = make_pdf(tmp_path / "b.pdf", pages=3)
    assert page_count(path, "pdf") == 3
    data, media_type = render_page(path, "pdf", 2, max_width=150)
    assert media_type == "image/jpeg" and Image.open(io.BytesIO(data)).size[0] <= 150


@pytest.mark.parametrize("version", [4, 5])
def test_cbr(tmp_path: Path, version: int) -> None:
    _need_libarchive()
    path = make_cbr(tmp_path / "c.cbz", pages=11, comicinfo=INFO, rar_version=version)
    book = read_book(path)
    assert book.format == "cbr"
    assert book.title == INFO["Title"] and book.page_count == 11
    assert book.cover == make_png(40, 60)
    assert comic_pages(path, "cbr")[-1] == "page11.jpg"
    data, media_type = read_page(path, "cbr", 10)
    assert media_type == "image/jpeg" and data.startswith(b"\xff\xd8")


def test_cbr_committed_fixtures() -> None:
    _need_libarchive()
    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    for name in ("comic-rar4.cbr", "comic-rar5.cbr"):
        book = read_book(fixtures / name)
        assert book.format == "cbr" and book.page_count == 3 and book.title == "Fixture Comic"


def test_truncated_cbr(tmp_path: Path) -> None:
    _need_libarchive()
    from bookshelf.formats import FormatError

    data = make_cbr(tmp_path / "ok.cbr", pages=3).read_bytes()
    (tmp_path / "t.cbr").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        read_book(tmp_path / "t.cbr")
