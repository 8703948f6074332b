"""Comic metadata in its three common forms: ComicInfo.xml, CoMet and ComicBookInfo.

ComicInfo.xml (ComicRack, Kavita, Komga) and CoMet are files inside the archive;
ComicBookInfo is JSON that comic taggers keep in the archive's comment. Each is
read into the same ParsedBook fields: the title without the issue number, the
series with the issue as its index, writers and artists (pencillers) as
authors, and every other credit (inker, colorist, letterer, cover artist,
editor, translator) as a contributor with its role, not as an author. Each form is
read into a ParsedBook of its own; where a comic carries more than one,
ComicInfo.xml wins, then CoMet, then ComicBookInfo, field by field (merge).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from bookshelf.formats.isbn import both_forms, normalise_isbn
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import ParsedBook
from bookshelf.formats.plaintext import clean, html_to_text
from bookshelf.formats.safexml import local
from bookshelf.models import Credit

COMICINFO_AUTHORS = ("Writer", "Penciller")
COMICINFO_CREDITS = {
    "Inker": "inker", "Colorist": "colorist", "Letterer": "letterer", "CoverArtist": "cover artist",
    "Editor": "editor", "Translator": "translator",
}  # fmt: skip
COMET_AUTHORS = ("writer", "penciller", "creator")
COMET_CREDITS = {"inker": "inker", "colorist": "colorist", "letterer": "letterer", "coverDesigner": "cover artist",
                 "editor": "editor"}  # fmt: skip
# ComicBookInfo roles are free text; these are the ones taggers write for the people who made the story.
CBI_AUTHOR_ROLES = {"writer", "artist", "penciller", "cartoonist", "creator", "author", "plotter", "scripter"}
CBI_ROLES = {"inker": "inker", "colorist": "colorist", "colourist": "colorist", "letterer": "letterer",
             "cover": "cover artist", "coverartist": "cover artist", "cover artist": "cover artist",
             "editor": "editor", "translator": "translator"}  # fmt: skip
MIN_YEAR, MAX_YEAR = 1000, 2200


def _number(value: object) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", str(value) if value is not None else "")
    return float(match.group(1)) if match else None


def _year(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and MIN_YEAR <= number <= MAX_YEAR else None


def _split(value: str | None) -> list[str]:
    return [p for p in (clean(x) for x in re.split(r"[,;]", value or "")) if p]


def _person(name: str) -> str:
    """'Tanaka, Yuki' -> 'Yuki Tanaka', as calibre reads ComicBookInfo credits."""
    return " ".join(reversed([p.strip() for p in name.split(",", 1)])) if "," in name else name


def _add_author(book: ParsedBook, name: str | None) -> None:
    if name and name not in book.authors:
        book.authors.append(name)


def _add_credit(book: ParsedBook, name: str | None, role: str) -> None:
    if name and name not in book.authors and Credit(name, role) not in book.contributors:
        book.contributors.append(Credit(name, role))


def _set(book: ParsedBook, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(book, name, value)


MERGED_FIELDS = ("title", "series", "series_index", "publisher", "published_year", "description", "genres",
                 "language", "page_count", "isbn10", "isbn13", "authors", "contributors")  # fmt: skip


def merge(target: ParsedBook, source: ParsedBook) -> None:
    """Fill what ``target`` (the preferred form) left empty from ``source``, field by field.

    Authors and credits are taken as a whole from one form: two taggers spell the same people
    differently ('Tanaka, Yuki' and 'Yuki Tanaka'), and a union would list them twice."""
    for name in MERGED_FIELDS:
        if getattr(target, name) in (None, "", []) and getattr(source, name) not in (None, "", []):
            setattr(target, name, getattr(source, name))
    for key, value in source.identifiers.items():
        target.identifiers.setdefault(key, value)


def _isbn(book: ParsedBook, value: str | None) -> None:
    isbn = normalise_isbn(value)
    if isbn:
        book.isbn10, book.isbn13 = both_forms(isbn)
        book.identifiers["isbn"] = book.isbn13 or isbn


# -- ComicInfo.xml ------------------------------------------------------------------------------


def _field(root: ET.Element, name: str) -> str | None:
    el = next((e for e in root if local(e.tag).lower() == name.lower()), None)
    return clean("".join(el.itertext())) if el is not None else None


def front_cover(root: ET.Element) -> int | None:
    """The page index ComicInfo.xml marks as the front cover, if any."""
    for el in root.iter():
        if local(el.tag) == "Page" and "frontcover" in (el.get("Type") or "").lower():
            number = _number(el.get("Image"))
            return int(number) if number is not None else None
    return None


def apply_comicinfo(book: ParsedBook, root: ET.Element) -> None:
    series = _field(root, "Series")
    _set(
        book,
        title=_field(root, "Title") or series,
        series=series,
        series_index=_number(_field(root, "Number")) if _field(root, "Number") else _number(_field(root, "Volume")),
        publisher=_field(root, "Publisher"),
        published_year=_year(_field(root, "Year")),
        description=html_to_text(_field(root, "Summary")),
        genres=list(dict.fromkeys(_split(_field(root, "Genre")) + _split(_field(root, "Tags")))),
        language=to_bcp47(_field(root, "LanguageISO")),
    )
    for role in COMICINFO_AUTHORS:
        for name in _split(_field(root, role)):
            _add_author(book, name)
    for element, role in COMICINFO_CREDITS.items():
        for name in _split(_field(root, element)):
            _add_credit(book, name, role)
    page_count = _number(_field(root, "PageCount"))
    book.page_count = int(page_count) if page_count else None
    _isbn(book, _field(root, "GTIN") or _field(root, "ISBN"))


# -- CoMet --------------------------------------------------------------------------------------


def _comet_all(root: ET.Element, name: str) -> list[str]:
    return [text for e in root if local(e.tag) == name and (text := clean("".join(e.itertext())))]


def apply_comet(book: ParsedBook, root: ET.Element) -> None:
    def one(name: str) -> str | None:
        values = _comet_all(root, name)
        return values[0] if values else None

    series = one("series")
    _set(
        book,
        title=one("title") or series,
        series=series,
        series_index=_number(one("issue")) if one("issue") else _number(one("volume")),
        publisher=one("publisher"),
        published_year=_year(one("date")),
        description=html_to_text(one("description")),
        genres=list(dict.fromkeys(_comet_all(root, "genre"))),
        language=to_bcp47(one("language")),
    )
    for role in COMET_AUTHORS:
        for name in _comet_all(root, role):
            _add_author(book, name)
    for element, role in COMET_CREDITS.items():
        for name in _comet_all(root, element):
            _add_credit(book, name, role)
    _isbn(book, one("identifier"))


# -- ComicBookInfo ------------------------------------------------------------------------------


def comicbookinfo(comment: bytes) -> dict[str, Any] | None:
    """The ComicBookInfo object in an archive comment, or None when the comment is something else."""
    if not comment.lstrip().startswith(b"{"):
        return None
    try:
        document = json.loads(comment.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    for key, value in document.items():
        if isinstance(key, str) and key.startswith("ComicBookInfo") and isinstance(value, dict):
            return value
    return None


def _text(value: object) -> str | None:
    return clean(value) if isinstance(value, str) else clean(str(value)) if isinstance(value, int | float) else None


def apply_comicbookinfo(book: ParsedBook, info: dict[str, Any]) -> None:
    series = _text(info.get("series"))
    issue, volume = info.get("issue"), info.get("volume")
    tags = [t for t in (_text(x) for x in info.get("tags") or [] if isinstance(info.get("tags"), list)) if t]
    _set(
        book,
        title=_text(info.get("title")) or series,
        series=series,
        series_index=_number(issue) if _number(issue) is not None else _number(volume),
        publisher=_text(info.get("publisher")),
        published_year=_year(info.get("publicationYear")),
        description=html_to_text(_text(info.get("comments"))),
        genres=list(dict.fromkeys(_split(_text(info.get("genre"))) + tags)),
        language=to_bcp47(_text(info.get("language"))),
    )
    credits = info.get("credits")
    for credit in credits if isinstance(credits, list) else []:
        if not isinstance(credit, dict):
            continue
        name = _text(credit.get("person"))
        role = (_text(credit.get("role")) or "").lower()
        if not name:
            continue
        if role in CBI_AUTHOR_ROLES:
            _add_author(book, _person(name))
        elif role:
            _add_credit(book, _person(name), CBI_ROLES.get(role, role))
