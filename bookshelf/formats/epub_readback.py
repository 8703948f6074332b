"""Proving a rewritten EPUB before it replaces anything: the bytes on disk are the bytes written,
the entries we wrote are intact, and our own reader sees the metadata we meant."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

from bookshelf.formats.language import to_bcp47
from bookshelf.formats.parsed import EpubMetadata, FormatError, ParsedBook
from bookshelf.formats.plaintext import clean, description_html, html_to_text


def _expected(meta: EpubMetadata) -> dict[str, Any]:
    return {
        "title": clean(meta.title),
        "authors": [clean(a) for a in meta.authors],
        "series": clean(meta.series),
        "isbn": meta.isbn13 or meta.isbn10,
        "series_index": meta.series_index if meta.series else None,
        "language": to_bcp47(meta.language),
        "publisher": clean(meta.publisher),
        "published_year": meta.published_year,
        "description": html_to_text(description_html(meta.description or "")),
        "genres": list(dict.fromkeys(g.strip() for g in meta.genres if g.strip())),
    }


def _actual(book: ParsedBook, meta: EpubMetadata) -> dict[str, Any]:
    isbn = book.isbn13 if meta.isbn13 else book.isbn10 if meta.isbn10 else None
    return {
        "title": book.title,
        "authors": book.authors,
        "series": book.series,
        "isbn": isbn,
        "series_index": book.series_index if meta.series else None,
        "language": book.language,
        "publisher": book.publisher,
        "published_year": book.published_year,
        "description": book.description,
        "genres": book.genres,
    }


def verify(tmp: Path, meta: EpubMetadata, cover: bytes | None, written: list[str], digest: str) -> str:
    """Read the new file back from disk: the same bytes as were written, the entries we wrote intact,
    and our reader seeing the metadata we meant. Returns its SHA-256. Entries copied raw are the
    source's own bytes (proved by the digest); re-inflating every one of them (testzip) cost more
    than the rest of the rewrite and could only find damage the original already had."""
    from bookshelf.formats.epub import read_epub

    if _sha256_of(tmp) != digest:
        raise FormatError("The rewritten EPUB on disk differs from what was written.", "write_failed")
    book = read_epub(tmp)
    want, got = _expected(meta), _actual(book, meta)
    wrong = [k for k in want if want[k] != got.get(k)]
    if wrong:
        detail = ", ".join(f"{k} read back as {got.get(k)!r}" for k in wrong)
        raise FormatError(f"The rewritten EPUB did not read back as written ({detail}).", "write_failed")
    if cover is not None and not book.cover:
        raise FormatError("The rewritten EPUB's cover could not be read back.", "write_failed")
    with zipfile.ZipFile(tmp) as zf:
        first = zf.infolist()[0]
        if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
            raise FormatError("The rewritten EPUB does not start with a stored mimetype.", "write_failed")
        for name in written:
            try:
                with zf.open(name) as entry:  # reading to the end checks the CRC
                    while entry.read(1024 * 1024):
                        pass
            except (zipfile.BadZipFile, KeyError) as exc:
                raise FormatError(f"The rewritten EPUB entry {name!r} is damaged.", "write_failed") from exc
    return digest


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


class Hashing:
    """A file wrapper that hashes what goes through it, to compare with what reaches the disk."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return int(self.out.write(data))

    def tell(self) -> int:
        return int(self.out.tell())
