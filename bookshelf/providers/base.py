"""What every metadata provider takes and gives: LookupQuery, Candidate, the Provider protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bookshelf.providers.normalise import clean_isbn
from bookshelf.providers.ratelimit import RateLimiter

__all__ = ["Candidate", "LookupQuery", "Provider", "ProviderSettings", "RateLimiter"]


@dataclass
class Candidate:
    """One provider's normalised answer for a book; every field but the source may be unknown."""

    source: str  # "google_books" | "hardcover" | "openlibrary"
    source_id: str
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    series: str | None = None
    series_index: float | None = None
    isbn10: str | None = None
    isbn13: str | None = None
    publisher: str | None = None
    published_year: int | None = None
    language: str | None = None  # BCP 47 two-letter where possible
    description: str | None = None  # plain text (HTML stripped)
    page_count: int | None = None
    genres: list[str] = field(default_factory=list)
    cover_url: str | None = None  # remote URL on the provider's image host


@dataclass
class LookupQuery:
    """What we know about a file: an ISBN is tried first, then title plus authors."""

    isbn: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)

    @property
    def clean_isbn(self) -> str | None:
        return clean_isbn(self.isbn)


@runtime_checkable
class Provider(Protocol):
    """A metadata source. ``lookup`` raises UpstreamError on failure; [] means "no match"."""

    name: str

    async def lookup(self, query: LookupQuery, limit: int = 5) -> list[Candidate]: ...


class ProviderSettings(Protocol):
    """The part of Settings the providers read (a Protocol so tests can pass a small object)."""

    google_books_url: str
    hardcover_url: str
    openlibrary_url: str
    openlibrary_covers_url: str
