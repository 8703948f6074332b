"""EPUB metadata and cover extraction."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bookshelf.formats import read_book
from tests.builders import make_epub, make_jpeg, make_png

OPF3 = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:1</dc:identifier>
    <dc:title id="t1">Main Title</dc:title>
    <meta refines="#t1" property="title-type">main</meta>
    <dc:title id="t2">The Subtitle</dc:title>
    <meta refines="#t2" property="title-type">subtitle</meta>
    <dc:creator id="c1">Ursula K. Le Guin</dc:creator>
    <meta refines="#c1" property="role" scheme="marc:relators">aut</meta>
    <meta refines="#c1" property="file-as">Le Guin, Ursula K.</meta>
    <dc:creator id="c2">Ed Itor</dc:creator>
    <meta refines="#c2" property="role" scheme="marc:relators">edt</meta>
    <dc:creator id="c3">Second Writer</dc:creator>
    <meta property="belongs-to-collection" id="s1">Earthsea</meta>
    <meta refines="#s1" property="collection-type">series</meta>
    <meta refines="#s1" property="group-position">4</meta>
    <dc:identifier>978-0-306-40615-7</dc:identifier>
    <dc:language>en_US</dc:language>
    <dc:date>2001-09-11T00:00:00Z</dc:date>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    <item id="c" href="text/ch1.xhtml" media-type="application/xhtml+xml"/>
    {items}
  </manifest>
  <spine><itemref idref="c"/></spine>
  {guide}
</package>
"""


def _custom(path: Path, opf: str, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/epub+zip")
        zf.writestr("META-INF/container.xml",
                    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
                    'opendocument:xmlns:container"><rootfiles><rootfile full-path="OPS/p.opf" '
                    'media-type="application/oebps-package+xml"/></rootfiles></container>')
        zf.writestr("OPS/p.opf", opf)
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_epub3_full_metadata(tmp_path: Path) -> None:
    book = read_book(make_epub(
        tmp_path / "b.epub", title="The Left Hand", authors=["Ursula K. Le Guin", "B Other"],
        author_sort="Le Guin, Ursula K.", series="Hainish", series_index=4,
        isbn="0-306-40615-2", language="eng", publisher="Ace", date="1969-03-01",
        description="<p>First &amp; <b>bold</b></p><p>Second</p>", subjects=["SF", "Classic"],
        cover=make_jpeg()))
    assert book.format == "epub"
    assert book.title == "The Left Hand"
    assert book.authors == ["Ursula K. Le Guin", "B Other"]
    assert book.author_sort == "Le Guin, Ursula K."
    assert (book.series, book.series_index) == ("Hainish", 4.0)
    assert (book.isbn10, book.isbn13) == ("0306406152", "9780306406157")
    assert book.language == "en"
    assert book.publisher == "Ace"
    assert book.published_year == 1969
    assert book.description == "First & bold\n\nSecond"
    assert book.genres == ["SF", "Classic"]
    assert book.cover_media_type == "image/jpeg" and book.cover == make_jpeg()


def test_epub2_roles_and_file_as(tmp_path: Path) -> None:
    book = read_book(make_epub(tmp_path / "b.epub", epub_version=2, authors=["Ann A", "Bob B"],
                               author_sort="A, Ann", isbn="9780306406157", cover=make_png()))
    assert book.authors == ["Ann A", "Bob B"]
    assert book.author_sort == "A, Ann"
    assert book.isbn13 == "9780306406157"
    assert book.cover_media_type == "image/png"


def test_epub3_refines_collection_subtitle_and_roles(tmp_path: Path) -> None:
    path = _custom(tmp_path / "c.epub", OPF3.format(items="", guide=""), {
        "OPS/text/ch1.xhtml": b"<html><body><p>x</p></body></html>"})
    book = read_book(path)
    assert book.title == "Main Title"
    assert book.subtitle == "The Subtitle"
    assert book.authors == ["Ursula K. Le Guin", "Second Writer"]  # the editor is not an author
    assert book.author_sort == "Le Guin, Ursula K."
    assert (book.series, book.series_index) == ("Earthsea", 4.0)
    assert book.isbn13 == "9780306406157"
    assert book.language == "en-US"
    assert book.published_year == 2001
    assert book.cover is None


@pytest.mark.parametrize("isbn_xml", [
    '<dc:identifier opf:scheme="ISBN">0306406152</dc:identifier>',
    "<dc:identifier>urn:isbn:978-0-306-40615-7</dc:identifier>",
    "<dc:identifier>isbn:9780306406157</dc:identifier>",
    "<dc:identifier>9780306406157</dc:identifier>",
    "<dc:identifier>0 306 40615 2</dc:identifier>",
])
def test_isbn_forms(tmp_path: Path, isbn_xml: str) -> None:
    opf = OPF3.format(items="", guide="").replace(
        "<dc:identifier>978-0-306-40615-7</dc:identifier>", isbn_xml).replace(
        'xmlns:dc="http://purl.org/dc/elements/1.1/"',
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf"')
    book = read_book(_custom(tmp_path / "i.epub", opf, {}))
    assert (book.isbn10, book.isbn13) == ("0306406152", "9780306406157")


def test_invalid_isbn_checksum_is_ignored(tmp_path: Path) -> None:
    book = read_book(make_epub(tmp_path / "b.epub", isbn="9780306406158"))
    assert book.isbn13 is None and book.isbn10 is None


@pytest.mark.parametrize("items,guide,files,expected", [
    ('<item id="i" href="img/a.png" media-type="image/png" properties="cover-image"/>'
     '<item id="j" href="img/b.jpg" media-type="image/jpeg"/>', "",
     {"OPS/img/a.png": "png", "OPS/img/b.jpg": "jpeg"}, "image/png"),
    ('<item id="j" href="img/b.jpg" media-type="image/jpeg"/>', "",
     {"OPS/img/b.jpg": "jpeg"}, None),
    ('<item id="p" href="cov.xhtml" media-type="application/xhtml+xml"/>'
     '<item id="j" href="img/b%20c.jpg" media-type="image/jpeg"/>',
     '<guide><reference type="cover" href="cov.xhtml"/></guide>',
     {"OPS/cov.xhtml": b'<html><body><img src="img/b%20c.jpg"/></body></html>',
      "OPS/img/b c.jpg": "jpeg"}, "image/jpeg"),
    ('<item id="j" href="img/s.gif" media-type="image/gif"/>', "",
     {"OPS/text/ch1.xhtml": b'<html><body><svg><image xlink:href="../img/s.gif"/></svg>'
      b"</body></html>", "OPS/img/s.gif": "gif"}, "image/gif"),
])
def test_cover_sources(tmp_path: Path, items: str, guide: str, files: dict[str, object],
                       expected: str | None) -> None:
    import io

    from PIL import Image

    def image(kind: str) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (10, 14)).save(out, {"png": "PNG", "jpeg": "JPEG", "gif": "GIF"}[kind])
        return out.getvalue()

    data = {k: image(v) if isinstance(v, str) else v for k, v in files.items()}
    book = read_book(_custom(tmp_path / "c.epub", OPF3.format(items=items, guide=guide), data))
    assert book.cover_media_type == expected


def test_epub2_meta_cover(tmp_path: Path) -> None:
    book = read_book(make_epub(tmp_path / "b.epub", epub_version=2, cover=make_jpeg()))
    assert book.cover == make_jpeg()


UNICODE = {
    "title": "Война и мир — 戦争と平和 — מלחמה ושלום",
    "authors": ["Лев Толстой", "村上 春樹", "עמוס עוז"],
    "series": "Серия 本", "publisher": "دار النشر", "description": "Описание 説明 תיאור",
    "subjects": ["Роман", "小説", "רומן"],
}


@pytest.mark.parametrize("version", [2, 3])
def test_unicode_everywhere(tmp_path: Path, version: int) -> None:
    book = read_book(make_epub(tmp_path / "u.epub", epub_version=version, series_index=1,
                               language="ru", **UNICODE))  # type: ignore[arg-type]
    assert book.title == UNICODE["title"]
    assert book.authors == UNICODE["authors"]
    assert book.series == UNICODE["series"]
    assert book.publisher == UNICODE["publisher"]
    assert book.description == UNICODE["description"]
    assert book.genres == UNICODE["subjects"]


def test_real_world_epub(koreader_data: Path) -> None:
    book = read_book(koreader_data / "leaves.epub")
    assert book.title == "Leaves of Grass"
    assert book.authors == ["Walt Whitman"]
    assert book.cover_media_type == "image/jpeg"
