"""The result of parsing a book file, and the one error every parser raises."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookshelf.errors import InvalidInput
from bookshelf.models import Credit


@dataclass
class ParsedBook:
    format: str  # "epub" | "pdf" | "mobi" | "azw3" | "cbz" | "cbr"
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    author_sort: str | None = None  # file-as of the first author, e.g. "Le Guin, Ursula K."
    series: str | None = None
    series_index: float | None = None
    isbn10: str | None = None
    isbn13: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)  # e.g. {"asin": ..., "isbn": ...}
    language: str | None = None  # BCP 47, e.g. "en", "pt-BR"
    publisher: str | None = None
    published_year: int | None = None
    description: str | None = None  # plain text
    genres: list[str] = field(default_factory=list)
    contributors: list[Credit] = field(default_factory=list)  # credits other than authors, with their roles
    page_count: int | None = None
    cover: bytes | None = None
    cover_media_type: str | None = None  # "image/jpeg" | "image/png" | "image/gif" | "image/webp"


class FormatError(InvalidInput):
    """A book file we cannot read; ``message`` is a sentence for people, ``reason`` a stable tag.

    Reasons in use: not_a_zip, drm, zip_bomb, unsupported_format, empty_file, truncated,
    encrypted, bad_xml, missing_opf, unsafe_path, too_large, bad_image, corrupt, write_failed.
    """

    code = "invalid_format"

    def __init__(self, message: str, reason: str = "corrupt") -> None:
        super().__init__(message)
        self.reason = reason

    def __repr__(self) -> str:
        return f"FormatError({self.message!r}, reason={self.reason!r})"


@dataclass
class EpubMetadata:
    """What bookshelf writes into an EPUB's package (formats.epub_writer) and reads back to verify."""

    title: str
    authors: list[str] = field(default_factory=list)
    author_sort: str | None = None  # file-as of the first author
    series: str | None = None
    series_index: float | None = None
    isbn13: str | None = None
    isbn10: str | None = None
    language: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    description: str | None = None  # plain text; blank lines separate paragraphs
    genres: list[str] = field(default_factory=list)
