"""What a generated cover shows and the key that names it (no imaging here: models use the key for URLs).

The drawing itself is bookshelf.formats.placeholder; bump _VERSION when it changes, so cached
pictures are drawn again under new keys.
"""

from __future__ import annotations

import hashlib

_VERSION = "1"


def placeholder_key(title: str | None, author: str | None, series: str | None) -> str:
    """A hex digest of what the placeholder shows; the cache file name and the URL's version."""
    text = "\0".join((_VERSION, title or "", author or "", series or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def book_text(title: str | None, authors: list[str], series: str | None,
              index: float | None) -> tuple[str | None, str | None, str | None]:  # fmt: skip
    """(title, author line, series line) as drawn for a book."""
    return title, ", ".join(authors) or None, series_label(series, index)


def book_token(title: str | None, authors: list[str], series: str | None, index: float | None) -> str:
    """A generated cover's version token, "g" + key: it never looks like a real cover's sha256."""
    return "g" + placeholder_key(*book_text(title, authors, series, index))


def series_label(series: str | None, index: float | None) -> str | None:
    if not series:
        return None
    if index is None:
        return series
    return f"{series} #{index:g}"
