"""CBZ and CBR comics: ComicInfo.xml metadata, pages in natural order, covers and page reads."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from bookshelf.formats import comic_meta
from bookshelf.formats.covers import checked_cover, sniff_image_type
from bookshelf.formats.parsed import FormatError, ParsedBook
from bookshelf.formats.rar import list_rar, read_rar
from bookshelf.formats.rar_comment import rar_comment
from bookshelf.formats.safexml import parse_xml
from bookshelf.formats.safezip import COMIC_LIMITS, MiB, SafeZip

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".avif")
_EXT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".avif": "image/avif",
}
PAGE_CAP = 64 * MiB
SIDECAR_CAP = 4 * MiB
# Metadata files inside the archive, most trusted first.
SIDECARS: tuple[tuple[str, Callable[[ParsedBook, ET.Element], None]], ...] = (
    ("comicinfo.xml", comic_meta.apply_comicinfo),
    ("comet.xml", comic_meta.apply_comet),
)


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
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return sniff_image_type(data) or _EXT_TYPES.get(suffix, "application/octet-stream")


def read_page(path: Path | str, fmt: str, index: int) -> tuple[bytes, str]:
    """The raw bytes and media type of page ``index`` (0-based)."""
    pages = comic_pages(path, fmt)
    if not 0 <= index < len(pages):
        raise FormatError(f"The comic has {len(pages)} pages; page {index + 1} does not exist.", "no_such_page")
    name = pages[index]
    data = _read(Path(path), fmt, [name])[name]
    return data, media_type_of(name, data)


def _metadata(path: Path, fmt: str, names: list[str]) -> tuple[ParsedBook, int | None]:
    """What the comic says of itself, merged from every form it carries (see comic_meta)."""
    found = ParsedBook(format=fmt)
    front = None
    by_name = {n.rsplit("/", 1)[-1].lower(): n for n in names}
    sidecars = [(by_name[key], apply) for key, apply in SIDECARS if key in by_name]
    data = _read(path, fmt, [name for name, _ in sidecars], cap=SIDECAR_CAP) if sidecars else {}
    for name, apply in sidecars:
        try:
            root = parse_xml(data[name], name)
        except FormatError as exc:
            if exc.reason != "bad_xml":
                raise  # a broken sidecar should not hide readable pages, anything else should
            continue
        form = ParsedBook(format=fmt)
        apply(form, root)
        if apply is comic_meta.apply_comicinfo:
            front = comic_meta.front_cover(root)
        comic_meta.merge(found, form)
    info = comic_meta.comicbookinfo(_comment(path, fmt))
    if info is not None:
        form = ParsedBook(format=fmt)
        comic_meta.apply_comicbookinfo(form, info)
        comic_meta.merge(found, form)
    return found, front


def _comment(path: Path, fmt: str) -> bytes:
    if fmt == "cbz":
        with SafeZip(path, COMIC_LIMITS, "CBZ") as zf:
            return zf.comment
    return rar_comment(path)


def read_comic(path: Path, fmt: str) -> ParsedBook:
    names = _names(path, fmt)
    pages = sorted((n for n in names if _is_page(n)), key=natural_key)
    if not pages:
        raise FormatError(f"The {fmt.upper()} archive holds no images.", "unsupported_format")
    book, front = _metadata(path, fmt, names)
    book.page_count = len(pages)
    first = pages[front] if front is not None and 0 <= front < len(pages) else pages[0]
    cover = checked_cover(_read(path, fmt, [first])[first])
    if cover:
        book.cover, book.cover_media_type = cover
    return book


def right_to_left(path: Path, fmt: str) -> bool:
    """Whether ComicInfo.xml marks the pages as read right to left (Manga=YesAndRightToLeft)."""
    info = next((n for n in _names(path, fmt) if n.rsplit("/", 1)[-1].lower() == "comicinfo.xml"), None)
    if info is None:
        return False
    try:
        root = parse_xml(_read(path, fmt, [info], cap=4 * MiB)[info], "ComicInfo.xml")
    except FormatError:
        return False
    return (comic_meta._field(root, "Manga") or "").replace(" ", "").lower() == "yesandrighttoleft"
