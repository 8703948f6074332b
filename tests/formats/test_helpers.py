"""ISBN, language, file-name and cover helpers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bookshelf.formats import (
    FormatError,
    make_thumbnail,
    normalise_cover,
    parse_filename,
    sniff_image_type,
)
from bookshelf.formats.isbn import both_forms, find_isbn, normalise_isbn, to_isbn10, to_isbn13
from bookshelf.formats.language import to_bcp47
from tests.builders import make_jpeg, make_png, png_header_only


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("978-0-306-40615-7", "9780306406157"),
        ("urn:isbn:0306406152", "0306406152"),
        ("ISBN 0-8044-2957-X", "080442957X"),
        ("080442957x", "080442957X"),
        ("9780306406158", None),
        ("12345", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_isbn(raw: str | None, expected: str | None) -> None:
    assert normalise_isbn(raw) == expected


def test_isbn_conversion() -> None:
    assert to_isbn13("080442957X") == "9780804429573"
    assert to_isbn10("9780804429573") == "080442957X"
    assert to_isbn10("9791034304219") is None  # 979 books have no ISBN-10
    assert both_forms("979-10-343-0421-9") == (None, "9791034304219")
    assert find_isbn("see ISBN: 978-0-306-40615-7 inside") == "9780306406157"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("eng", "en"),
        ("en_US", "en-US"),
        ("EN-us", "en-US"),
        ("pt-br", "pt-BR"),
        ("fre", "fr"),
        ("ger", "de"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("jpn", "ja"),
        ("English", "en"),
        ("und", None),
        ("", None),
        ("12", None),
        ("haw", "haw"),
    ],
)
def test_bcp47(raw: str, expected: str | None) -> None:
    assert to_bcp47(raw) == expected


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Ursula K. Le Guin - The Dispossessed.epub", ("The Dispossessed", ["Ursula K. Le Guin"], None, None)),
        ("The Dispossessed - Ursula K. Le Guin.epub", ("The Dispossessed", ["Ursula K. Le Guin"], None, None)),
        ("Iain M. Banks - Culture 03 - Use of Weapons.epub", ("Use of Weapons", ["Iain M. Banks"], "Culture", 3.0)),
        ("Use_of_Weapons_(Culture_#3).epub", ("Use of Weapons", [], "Culture", 3.0)),
        ("Terry.Pratchett.-.Mort.epub", ("Mort", ["Terry Pratchett"], None, None)),
        (
            "Neil Gaiman & Terry Pratchett - Good Omens.pdf",
            ("Good Omens", ["Neil Gaiman", "Terry Pratchett"], None, None),
        ),
        ("Война и мир.fb2", ("Война и мир", [], None, None)),
    ],
)
def test_parse_filename(name: str, expected: tuple[object, ...]) -> None:
    assert parse_filename(name) == expected


def test_sniff_image_type() -> None:
    assert sniff_image_type(make_jpeg()) == "image/jpeg"
    assert sniff_image_type(make_png()) == "image/png"
    assert sniff_image_type(b"GIF89a....") == "image/gif"
    assert sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_image_type(b"nope") is None


def test_normalise_cover_keeps_small_jpeg_and_png() -> None:
    assert normalise_cover(make_jpeg()) == (make_jpeg(), "image/jpeg")
    assert normalise_cover(make_png()) == (make_png(), "image/png")


def test_normalise_cover_reencodes_and_caps() -> None:
    from PIL import Image

    gif = io.BytesIO()
    Image.new("RGB", (20, 30)).save(gif, "GIF")
    data, media_type = normalise_cover(gif.getvalue())
    assert media_type == "image/jpeg" and data.startswith(b"\xff\xd8")
    big, media_type = normalise_cover(make_png(2000, 3000))
    assert media_type == "image/jpeg" and max(Image.open(io.BytesIO(big)).size) == 1600
    huge, media_type = normalise_cover(make_jpeg(1400, 2100))
    assert media_type == "image/jpeg" and max(Image.open(io.BytesIO(huge)).size) == 1600


def test_normalise_cover_keeps_a_jpeg_up_to_2048_but_not_a_png() -> None:
    from PIL import Image

    calibres = make_jpeg(1240, 1754)  # the size of calibre's generated covers
    assert normalise_cover(calibres) == (calibres, "image/jpeg")
    png, media_type = normalise_cover(make_png(1240, 1754))
    assert media_type == "image/jpeg" and max(Image.open(io.BytesIO(png)).size) == 1600


@pytest.mark.parametrize("data", [png_header_only(50_000, 50_000), b"", b"not an image", make_png()[:40]])
def test_bad_images_rejected(data: bytes) -> None:
    with pytest.raises(FormatError) as info:
        normalise_cover(data)
    assert info.value.reason == "bad_image"


def test_thumbnail() -> None:
    from PIL import Image

    thumb = make_thumbnail(make_jpeg(900, 1200), max_side=300)
    assert Image.open(io.BytesIO(thumb)).size == (225, 300)
    with pytest.raises(FormatError):
        make_thumbnail(png_header_only(100_000, 100_000))


def test_detect_media_types(tmp_path: Path) -> None:
    from bookshelf.formats import MEDIA_TYPES, SUPPORTED_FORMATS

    assert set(MEDIA_TYPES) == set(SUPPORTED_FORMATS)
    assert MEDIA_TYPES["azw3"] == "application/vnd.amazon.mobi8-ebook"


@pytest.mark.parametrize(
    "data", [make_jpeg(900, 1200, noise=True), make_jpeg(1400, 2100), make_png(400, 600), make_png(2000, 3000)]
)
def test_cover_and_thumbnail_match_the_two_steps(data: bytes) -> None:
    from PIL import Image

    from bookshelf.formats.covers import cover_and_thumbnail

    cover, media_type, thumb = cover_and_thumbnail(data)
    assert (cover, media_type) == normalise_cover(data)
    assert Image.open(io.BytesIO(thumb)).size == Image.open(io.BytesIO(make_thumbnail(cover))).size


@pytest.mark.parametrize("cut", [2, 3])
def test_cover_and_thumbnail_refuse_a_truncated_jpeg(cut: int) -> None:
    from bookshelf.formats.covers import cover_and_thumbnail

    whole = make_jpeg(900, 1200, noise=True)
    with pytest.raises(FormatError) as info:
        cover_and_thumbnail(whole[: len(whole) * (cut - 1) // cut])
    assert info.value.reason == "bad_image"
