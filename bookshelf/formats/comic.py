"""CBZ and CBR comics: ComicInfo.xml metadata, pages in natural order, covers and page reads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from bookshelf.formats.covers import checked_cover, sniff_image_type
from bookshelf.formats.isbn import both_forms, normalise_isbn
from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import FormatError, ParsedBook
from bookshelf.formats.plaintext import clean, html_to_text
from bookshelf.formats.rar import list_rar, read_rar
from bookshelf.formats.safexml import local, parse_xml
from bookshelf.formats.safezip import COMIC_LIMITS, MiB, SafeZip

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".avif")
_EXT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
              ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp",
              ".avif": "image/avif"}
PAGE_CAP = 64 * MiB


def natural_key(name: str) -> list[object]:
    """'page2' sorts before 'page10'; case is ignored."""
    return [int(t) if i % 2 else t.lower() for i, t in enumerate(re.split(r"(\d+)", name))]


def _is_page(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return not hidden and name.lower().endswith(IMAGE_EXTS)


def _names(path: Path, fmt: str) -> list[str]:
    if fmt == "cbz":
        with SafeZip(path, COMIC_LIMITS, "CBZ") as zf:
            return zf.names()
    if fmt == "cbr":
        return list(list_rar(path))
    raise FormatError(f"{fmt!r} is not a comic format.", "unsupported_format")


def _read(path: Path, fmt: str, names: list[str], cap: int = PAGE_CAP) -> dict[str, bytes]:
    if fmt == "cbz":
        with SafeZip(path, COMIC_LIMITS, "CBZ") as zf:
            return {n: zf.read(n, cap) for n in names}
    return read_rar(path, set(names), cap)


def comic_pages(path: Path | str, fmt: str) -> list[str]:
    """Image entry names in reading (natural sort) order."""
    return sorted((n for n in _names(Path(path), fmt) if _is_page(n)), key=natural_key)


def media_type_of(name: str, data: bytes) -> str:
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    return sniff_image_type(data) or _EXT_TYPES.get(suffix, "application/octet-stream")


def read_page(path: Path | str, fmt: str, index: int) -> tuple[bytes, str]:
    """The raw bytes and media type of page ``index`` (0-based)."""
    pages = comic_pages(path, fmt)
    if not 0 <= index < len(pages):
        raise FormatError(f"The comic has {len(pages)} pages; page {index + 1} does not exist.",
                          "no_such_page")
    name = pages[index]
    data = _read(Path(path), fmt, [name])[name]
    return data, media_type_of(name, data)


def _field(root: ET.Element, name: str) -> str | None:
    el = next((e for e in root if local(e.tag).lower() == name.lower()), None)
    return clean("".join(el.itertext())) if el is not None else None


def _split(value: str | None) -> list[str]:
    return [p for p in (clean(x) for x in re.split(r"[,;]", value or "")) if p]


def _number(value: str | None) -> float | None:
    match = re.match(r"\s*(\d+(?:\.\d+)?)", value or "")
    return float(match.group(1)) if match else None


def _front_cover(root: ET.Element) -> int | None:
    for el in root.iter():
        if local(el.tag) == "Page" and "frontcover" in (el.get("Type") or "").lower():
            number = _number(el.get("Image"))
            return int(number) if number is not None else None
    return None


def apply_comicinfo(book: ParsedBook, root: ET.Element) -> int | None:
    """Fill ``book`` from ComicInfo.xml; returns the FrontCover page index if one is marked."""
    book.series = _field(root, "Series")
    book.series_index = _number(_field(root, "Number")) or _number(_field(root, "Volume"))
    number = _field(root, "Number")
    book.title = _field(root, "Title") or (
        f"{book.series} #{number}" if book.series and number else book.series)
    for name in _split(_field(root, "Writer")) + _split(_field(root, "Penciller")):
        if name not in book.authors:
            book.authors.append(name)  # in comics the artist is a co-author, not a contributor
    book.publisher = _field(root, "Publisher")
    year = _number(_field(root, "Year"))
    book.published_year = int(year) if year and 1000 <= year <= 2200 else None
    book.description = html_to_text(_field(root, "Summary"))
    book.genres = list(dict.fromkeys(_split(_field(root, "Genre")) + _split(_field(root, "Tags"))))
    book.language = to_bcp47(_field(root, "LanguageISO"))
    page_count = _number(_field(root, "PageCount"))
    book.page_count = int(page_count) if page_count else None
    isbn = normalise_isbn(_field(root, "GTIN")) or normalise_isbn(_field(root, "ISBN"))
    if isbn:
        book.isbn10, book.isbn13 = both_forms(isbn)
        book.identifiers["isbn"] = book.isbn13 or isbn
    return _front_cover(root)


def read_comic(path: Path, fmt: str) -> ParsedBook:
    names = _names(path, fmt)
    pages = sorted((n for n in names if _is_page(n)), key=natural_key)
    if not pages:
        raise FormatError(f"The {fmt.upper()} archive holds no images.", "unsupported_format")
    book = ParsedBook(format=fmt)
    info = next((n for n in names if n.rsplit("/", 1)[-1].lower() == "comicinfo.xml"), None)
    front = None
    if info:
        data = _read(path, fmt, [info], cap=4 * MiB)[info]
        try:
            front = apply_comicinfo(book, parse_xml(data, "ComicInfo.xml"))
        except FormatError as exc:
            if exc.reason != "bad_xml":
                raise  # a broken sidecar should not hide readable pages, anything else should
    book.page_count = len(pages)
    first = pages[front] if front is not None and 0 <= front < len(pages) else pages[0]
    cover = checked_cover(_read(path, fmt, [first])[first])
    if cover:
        book.cover, book.cover_media_type = cover
    return book
