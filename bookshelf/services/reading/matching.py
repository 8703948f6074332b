"""Which book a KOReader document belongs to when no file hash says so, from the metadata KOReader sent."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from typing import Any

from bookshelf.db import reading as rows
from bookshelf.db.books import sort_title
from bookshelf.folding import fold

# KOReader joins several authors with newlines; people type "&", ";" or " and ".
_AUTHOR_SPLIT = re.compile(r"\n|;|&|\band\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def author_keys(names: list[str]) -> set[frozenset[str]]:
    """Each author as a set of folded words, so 'Le Guin, Ursula K.' equals 'Ursula K. Le Guin'."""
    keys = set()
    for name in names:
        words = frozenset(_WORD.findall(fold(name)))
        if words:
            keys.add(words)
    return keys


def split_authors(text: str) -> list[str]:
    return [part.strip() for part in _AUTHOR_SPLIT.split(text) if part.strip()]


def book_for_metadata(conn: sqlite3.Connection, metadata: dict[str, Any]) -> str | None:
    """The one book the metadata fits (file name first, then title and author), or None if none or several."""
    filename = metadata.get("filename")
    if isinstance(filename, str) and filename.strip():
        base = filename.replace("\\", "/").rsplit("/", 1)[-1]
        found = rows.books_with_file_named(conn, base, hashlib.md5(base.encode("utf-8")).hexdigest())
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    title = metadata.get("title")
    if not isinstance(title, str) or not title.strip():
        return None
    candidates = rows.books_titled(conn, sort_title(title))
    authors = metadata.get("authors")
    wanted = author_keys(split_authors(authors)) if isinstance(authors, str) else set()
    if wanted:
        candidates = [(book_id, names) for book_id, names in candidates if wanted & author_keys(names)]
    return candidates[0][0] if len(candidates) == 1 else None
