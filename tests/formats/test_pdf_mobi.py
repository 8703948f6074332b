"""PDF and MOBI/AZW3 metadata, covers and format detection."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bookshelf.formats import detect_format, read_book
from bookshelf.formats.pdf import is_junk_title, split_authors
from tests.builders import make_jpeg, make_mobi, make_pdf


def test_pdf_metadata_and_cover(tmp_path: Path) -> None:
    book = read_book(make_pdf(tmp_path / "b.pdf", title="Война и мир",
                              author="Лев Толстой; 村上 春樹", pages=4,
                              subject="A novel", keywords="War, Russia", language="ru-RU"))
    assert book.format == "pdf"
    assert book.title == "Война и мир"
    assert book.authors == ["Лев Толстой", "村上 春樹"]
    assert book.description == "A novel"
    assert book.genres == ["War", "Russia"]
    assert book.language in ("ru", "ru-RU")  # MuPDF may keep only the language part
    assert book.page_count == 4
    from PIL import Image

    img = Image.open(io.BytesIO(book.cover or b""))
    assert book.cover_media_type == "image/jpeg" and img.format == "JPEG"
    assert max(img.size) <= 1200


@pytest.mark.parametrize("junk", ["Microsoft Word - doc1.docx", "untitled", "Untitled-1",
                                  "document", "", "report.pdf"])
def test_pdf_junk_title_falls_back_to_filename(tmp_path: Path, junk: str) -> None:
    book = read_book(make_pdf(tmp_path / "Frank Herbert - Dune.pdf", title=junk, author=""))
    assert book.title == "Dune"
    assert book.authors == ["Frank Herbert"]


def test_pdf_isbn_from_copyright_page(tmp_path: Path) -> None:
    book = read_book(make_pdf(tmp_path / "b.pdf", text="Copyright 2001. ISBN 0-306-40615-2"))
    assert book.isbn13 == "9780306406157"


@pytest.mark.parametrize("raw,names", [
    ("Ann Smith; Bob Jones", ["Ann Smith", "Bob Jones"]),
    ("Ann Smith & Bob Jones", ["Ann Smith", "Bob Jones"]),
    ("Ann Smith and Bob Jones", ["Ann Smith", "Bob Jones"]),
    ("Ann Smith, Bob Jones, Cy Twombly", ["Ann Smith", "Bob Jones", "Cy Twombly"]),
    ("Le Guin, Ursula K.", ["Le Guin, Ursula K."]),
    ("", []),
])
def test_split_authors(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


def test_junk_titles() -> None:
    assert is_junk_title("Microsoft PowerPoint - deck.pptx")
    assert not is_junk_title("The Document Collector")


def test_real_world_pdf(koreader_data: Path) -> None:
    book = read_book(koreader_data / "tall.pdf")
    assert book.page_count == 1 and book.title == "tall" and book.cover


def test_mobi_metadata_and_cover(tmp_path: Path) -> None:
    cover = make_jpeg(30, 40)
    book = read_book(make_mobi(
        tmp_path / "b.mobi", title="Full Name", updated_title="Война и мир",
        authors=["Лев Толстой", "A & B"], publisher="Изд", description="<p>Hi &amp; ok</p>",
        isbn="978-0-306-40615-7", subjects=["Роман", "History"], date="1869-01-01",
        asin="B000TEST", language="ru", cover=cover))
    assert book.format == "mobi"
    assert book.title == "Война и мир"
    assert book.authors == ["Лев Толстой", "A", "B"]
    assert book.publisher == "Изд"
    assert book.description == "Hi & ok"
    assert (book.isbn10, book.isbn13) == ("0306406152", "9780306406157")
    assert book.genres == ["Роман", "History"]
    assert book.published_year == 1869
    assert book.identifiers["asin"] == "B000TEST"
    assert book.language == "ru"
    assert book.cover == cover and book.cover_media_type == "image/jpeg"


def test_mobi_full_name_and_locale(tmp_path: Path) -> None:
    book = read_book(make_mobi(tmp_path / "b.mobi", title="Only Full Name", language=None))
    assert book.title == "Only Full Name"
    assert book.language == "en"  # from the header's locale (LCID 9)


@pytest.mark.parametrize("kwargs,fmt", [({}, "mobi"), ({"kf8": True}, "azw3"),
                                        ({"joint": True}, "azw3")])
def test_mobi_vs_azw3_by_content(tmp_path: Path, kwargs: dict[str, bool], fmt: str) -> None:
    path = make_mobi(tmp_path / "named-wrongly.mobi", **kwargs)
    assert detect_format(path) == fmt
    assert read_book(path).format == fmt
