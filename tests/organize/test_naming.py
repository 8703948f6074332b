"""Library names must be valid on every filesystem a NAS shares (ext4, NTFS, exFAT, SMB)."""

from __future__ import annotations

import unicodedata

import pytest

from bookshelf.models import Book
from bookshelf.services.organize import naming


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("The Left Hand of Darkness", "The Left Hand of Darkness"),
        ("Dune: Messiah", "Dune - Messiah"),
        ('What "If"?', "What _If__"),
        ("a/b\\c|d*e<f>g", "a_b_c_d_e_f_g"),
        ("tab\there\x00nul\x1fend\x7f", "tabherenulend"),
        ("Trailing dots...", "Trailing dots"),
        ("trailing spaces   ", "trailing spaces"),
        ("...", "Unknown"),
        ("", "Unknown"),
        (None, "Unknown"),
        ("   ", "Unknown"),
        (".hidden", "hidden"),
        ("CON", "_CON"),
        ("con", "_con"),
        ("Nul.txt", "_Nul.txt"),
        ("COM1", "_COM1"),
        ("LPT9", "_LPT9"),
        ("CONSOLE", "CONSOLE"),
        ("many    inner   spaces", "many inner spaces"),
        ("Bronte\u0308", "Brontë"),  # decomposed input comes out NFC
    ],
)
def test_safe_component(raw: str | None, expected: str) -> None:
    assert naming.safe_component(raw) == expected


def test_names_are_nfc() -> None:
    name = naming.safe_component("Cafe\u0301 Society")
    assert name == unicodedata.normalize("NFC", name) == "Café Society"


@pytest.mark.parametrize("char", ["é", "日", "😀"])
def test_long_names_are_cut_on_a_character_boundary(char: str) -> None:
    name = naming.safe_component(char * 300)
    encoded = name.encode("utf-8")
    assert len(encoded) <= 255
    assert encoded.decode("utf-8") == name  # would raise on half a character
    assert len(encoded) > 255 - len(char.encode("utf-8"))  # as long as it may be


def test_file_names_keep_their_extension_within_255_bytes() -> None:
    name = naming.safe_filename("日本語" * 100, "epub")
    assert name.endswith(".epub") and len(name.encode()) <= 255
    numbered = naming.numbered(name, 12)
    assert numbered.endswith(" (12).epub") and len(numbered.encode()) <= 255


def test_numbered_suffix() -> None:
    assert naming.numbered("Le Guin - Title.epub", 1) == "Le Guin - Title.epub"
    assert naming.numbered("Le Guin - Title.epub", 2) == "Le Guin - Title (2).epub"


def _book(**fields: object) -> Book:
    return Book(id="x", status="organized", **fields)  # type: ignore[arg-type]


def test_default_template_and_file_name() -> None:
    book = _book(title="The Dispossessed: An Ambiguous Utopia", authors=["Ursula K. Le Guin", "Other"])
    assert naming.planned_path(book, "{author}/{title}", "epub") == (
        "Ursula K. Le Guin/The Dispossessed - An Ambiguous Utopia/"
        "Ursula K. Le Guin - The Dispossessed - An Ambiguous Utopia.epub"
    )


def test_template_placeholders_and_missing_values() -> None:
    book = _book(title="Dune", authors=["Frank Herbert"], series="Dune", series_index=1.0, published_year=1965,
                 isbn13="9780441172719", language="en")  # fmt: skip
    template = "{language}/{author}/{series}/{seriesIndex} - {title} ({year})/{isbn}"
    assert naming.book_folder(book, template) == "en/Frank Herbert/Dune/1 - Dune (1965)/9780441172719"
    bare = _book(title="", authors=[])
    assert naming.book_folder(bare, "{author}/{series}/{title}") == "Unknown/Unknown"
    assert naming.planned_path(bare, "{author}/{title}", "pdf") == "Unknown/Unknown/Unknown.pdf"
    half = _book(title="Dune Messiah", authors=["Frank Herbert"], series="Dune", series_index=2.5)
    assert naming.book_folder(half, "{author}/{series} {seriesIndex}/{title}") == "Frank Herbert/Dune 2.5/Dune Messiah"


def test_hostile_metadata_cannot_escape_the_library() -> None:
    book = _book(title="../../etc/passwd", authors=[".."])
    path = naming.planned_path(book, "{author}/{title}", "epub")
    assert ".." not in path.split("/")
    assert not path.startswith("/")
