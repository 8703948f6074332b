"""Library paths for books: the organize template, and names safe on every filesystem a NAS shares."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from bookshelf.models import Book
from bookshelf.services.names.disk import (  # noqa: F401 - the one rule, re-exported for its callers
    MAX_COMPONENT_BYTES,
    UNKNOWN,
    safe_component,
    safe_filename,
    split_extension,
    truncate_utf8,
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z]+)\}")


def numbered(name: str, n: int) -> str:
    """The n-th alternative for a taken file name: ``Title (2).epub``."""
    if n <= 1:
        return name
    stem, ext = split_extension(name)
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
