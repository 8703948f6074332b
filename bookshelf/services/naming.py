"""Library paths for books: the organize template, and names safe on every filesystem a NAS shares."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from bookshelf.models import Book

UNKNOWN = "Unknown"
MAX_COMPONENT_BYTES = 255
# Windows refuses these as a name, with or without an extension (SMB shares inherit that).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_FORBIDDEN = re.compile(r'[<>"/\\|?*]')
_COLON = re.compile(r"\s*:\s*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")


def truncate_utf8(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut on a character boundary (never half a character)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def safe_component(text: str | None, limit: int = MAX_COMPONENT_BYTES) -> str:
    """One path component valid on ext4, Btrfs, NTFS, exFAT and SMB: NFC, no forbidden or
    control characters, no trailing dots or spaces, no reserved names, at most ``limit`` bytes."""
    name = unicodedata.normalize("NFC", text or "")
    name = _CONTROL.sub("", name)
    name = _COLON.sub(" - ", name)  # "Dune: Messiah" reads better as "Dune - Messiah" than "Dune_ Messiah"
    name = _FORBIDDEN.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ")  # a leading dot hides the file on Unix
    name = truncate_utf8(name, limit).rstrip(". ")
    if not name:
        return UNKNOWN
    if name.split(".")[0].strip().upper() in _RESERVED:
        name = "_" + name
    return name


def safe_filename(stem: str, ext: str, suffix: str = "") -> str:
    """``stem + suffix + "." + ext`` as a safe name, the stem shortened so the whole fits 255 bytes."""
    ext = safe_component(ext.lower().lstrip("."), 16) if ext else ""
    tail = suffix + (f".{ext}" if ext else "")
    room = MAX_COMPONENT_BYTES - len(tail.encode("utf-8"))
    return safe_component(stem, room) + tail


def numbered(name: str, n: int) -> str:
    """The n-th alternative for a taken file name: ``Title (2).epub``."""
    if n <= 1:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    return safe_filename(stem, ext, f" ({n})")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def template_values(book: Book) -> dict[str, str]:
    """What each placeholder stands for; ``author`` is the display name (sorting uses file-as)."""
    return {
        "author": book.authors[0].strip() if book.authors else "",
        "title": (book.title or "").strip(),
        "series": (book.series or "").strip(),
        "seriesIndex": _number(book.series_index) if book.series else "",
        "year": str(book.published_year) if book.published_year else "",
        "isbn": book.isbn13 or book.isbn10 or "",
        "language": book.language or "",
    }


def book_folder(book: Book, template: str) -> str:
    """The book's folder relative to the library root. A component whose placeholders are all
    empty (no series, say) is dropped; an empty author or title becomes "Unknown"."""
    values = template_values(book)
    parts = []
    for raw in template.split("/"):
        names = _PLACEHOLDER.findall(raw)
        filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), raw).strip()
        if names and not any(values.get(n) for n in names):
            if any(n in ("author", "title") for n in names):
                parts.append(UNKNOWN)
            continue
        if filled:
            parts.append(safe_component(filled))
    return str(PurePosixPath(*parts)) if parts else UNKNOWN


def file_stem(book: Book) -> str:
    """``Author - Title`` (just the title when the author is unknown)."""
    author = book.authors[0].strip() if book.authors else ""
    title = (book.title or "").strip() or UNKNOWN
    return f"{author} - {title}" if author else title


def planned_path(book: Book, template: str, ext: str) -> str:
    """Where a file of ``book`` with extension ``ext`` belongs, before collision numbering."""
    return f"{book_folder(book, template)}/{safe_filename(file_stem(book), ext)}"
