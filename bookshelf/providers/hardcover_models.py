"""Small dataclasses for Hardcover answers, parsed defensively from the JSON the API returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookshelf.providers.normalise import clean_isbn, language_code, positive_int, unique

# user_books.status_id (PROVIDERS.md §1.6).
WANT_TO_READ, CURRENTLY_READING, READ, PAUSED, DID_NOT_FINISH, IGNORED = 1, 2, 3, 4, 5, 6


@dataclass
class HardcoverUser:
    id: int
    username: str
    name: str | None = None
    privacy_setting_id: int | None = None  # good default for new library entries


@dataclass
class Edition:
    id: int
    book_id: int | None = None
    title: str | None = None
    isbn10: str | None = None
    isbn13: str | None = None
    pages: int | None = None
    release_date: str | None = None
    edition_format: str | None = None
    reading_format_id: int | None = None
    publisher: str | None = None
    language: str | None = None
    cover_url: str | None = None


@dataclass
class SearchHit:
    """One ``search`` document: a book (work), not an edition."""

    book_id: int
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    isbns: list[str] = field(default_factory=list)  # every edition's, 10 and 13 mixed
    pages: int | None = None
    release_year: int | None = None
    description: str | None = None
    series: str | None = None
    series_position: float | None = None
    genres: list[str] = field(default_factory=list)
    cover_url: str | None = None
    slug: str | None = None


@dataclass
class SearchPage:
    hits: list[SearchHit]
    ids: list[int]  # book ids in rank order
    found: int  # total matches, for paging
    page: int
    per_page: int


@dataclass
class BookDetails:
    id: int
    title: str | None = None
    subtitle: str | None = None
    slug: str | None = None
    description: str | None = None
    release_year: int | None = None
    release_date: str | None = None
    pages: int | None = None
    authors: list[str] = field(default_factory=list)
    series: str | None = None
    series_position: float | None = None
    genres: list[str] = field(default_factory=list)
    cover_url: str | None = None
    editions: list[Edition] = field(default_factory=list)


@dataclass
class UserBookRead:
    id: int
    user_book_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    progress: float | None = None  # computed by Hardcover, read-only
    progress_pages: int | None = None
    progress_seconds: int | None = None
    edition_id: int | None = None


@dataclass
class UserBook:
    id: int
    book_id: int | None = None
    status_id: int | None = None
    edition_id: int | None = None
    rating: float | None = None
    privacy_setting_id: int | None = None
    date_added: str | None = None
    last_read_date: str | None = None
    reads: list[UserBookRead] = field(default_factory=list)  # newest first

    @property
    def current_read(self) -> UserBookRead | None:
        """The newest unfinished read; a finished one is never reopened (re-reads get a new one)."""
        for read in self.reads:
            if read.finished_at is None:
                return read
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():  # search document ids are strings
        return int(value)
    return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _obj(value: Any) -> dict[str, Any]:
    # jsonb values and relations may be null or {} ("no value"); treat all alike.
    return value if isinstance(value, dict) else {}


def parse_user(row: dict[str, Any]) -> HardcoverUser:
    return HardcoverUser(id=_int(row.get("id")) or 0, username=str(row.get("username") or ""),
                         name=_str(row.get("name")),
                         privacy_setting_id=_int(row.get("account_privacy_setting_id")))


def parse_edition(row: dict[str, Any], book_id: int | None = None) -> Edition:
    language = _obj(row.get("language"))
    return Edition(
        id=_int(row.get("id")) or 0,
        book_id=_int(row.get("book_id")) or book_id,
        title=_str(row.get("title")),
        isbn10=clean_isbn(row.get("isbn_10")),
        isbn13=clean_isbn(row.get("isbn_13")),
        pages=positive_int(row.get("pages")),
        release_date=_str(row.get("release_date")),
        edition_format=_str(row.get("edition_format")),
        reading_format_id=_int(row.get("reading_format_id")),
        publisher=_str(_obj(row.get("publisher")).get("name")),
        language=language_code(language.get("code2") or language.get("code3")),
        cover_url=_str(_obj(row.get("image")).get("url")),
    )


def _authors(contributions: Any) -> list[str]:
    # A null contribution is the primary author; other roles (translator...) are not authors.
    names = []
    for item in contributions or []:
        if isinstance(item, dict) and item.get("contribution") in (None, "Author"):
            name = _str(_obj(item.get("author")).get("name"))
            if name:
                names.append(name)
    return unique(names)


def parse_search_hit(document: dict[str, Any]) -> SearchHit | None:
    book_id = _int(document.get("id"))
    if book_id is None:
        return None
    featured = _obj(document.get("featured_series"))
    authors = _authors(document.get("contributions")) or unique(
        a for a in document.get("author_names") or [] if isinstance(a, str))
    return SearchHit(
        book_id=book_id,
        title=_str(document.get("title")),
        subtitle=_str(document.get("subtitle")),
        authors=authors,
        isbns=[i for i in (clean_isbn(x) for x in document.get("isbns") or []) if i],
        pages=positive_int(document.get("pages")),
        release_year=_int(document.get("release_year")),
        description=_str(document.get("description")),
        series=_str(_obj(featured.get("series")).get("name")),
        series_position=_float(featured.get("position")),
        genres=unique(g for g in document.get("genres") or [] if isinstance(g, str)),
        cover_url=_str(_obj(document.get("image")).get("url")),
        slug=_str(document.get("slug")),
    )


def parse_book(row: dict[str, Any]) -> BookDetails:
    book_id = _int(row.get("id")) or 0
    series_rows = [s for s in row.get("book_series") or []
                   if isinstance(s, dict) and not s.get("compilation")]
    series_rows.sort(key=lambda s: not s.get("featured"))  # the featured series first
    series = series_rows[0] if series_rows else {}
    tags = _obj(row.get("cached_tags")).get("Genre") or []
    return BookDetails(
        id=book_id,
        title=_str(row.get("title")),
        subtitle=_str(row.get("subtitle")),
        slug=_str(row.get("slug")),
        description=_str(row.get("description")),
        release_year=_int(row.get("release_year")),
        release_date=_str(row.get("release_date")),
        pages=positive_int(row.get("pages")),
        authors=_authors(row.get("contributions")),
        series=_str(_obj(series.get("series")).get("name")),
        series_position=_float(series.get("position")),
        genres=unique(t.get("tag", "") for t in tags if isinstance(t, dict)),
        cover_url=_str(_obj(row.get("cached_image")).get("url")),
        editions=[parse_edition(e, book_id) for e in row.get("editions") or []
                  if isinstance(e, dict)],
    )


def parse_read(row: dict[str, Any]) -> UserBookRead:
    return UserBookRead(
        id=_int(row.get("id")) or 0,
        user_book_id=_int(row.get("user_book_id")),
        started_at=_str(row.get("started_at")),
        finished_at=_str(row.get("finished_at")),
        progress=_float(row.get("progress")),
        progress_pages=_int(row.get("progress_pages")),
        progress_seconds=_int(row.get("progress_seconds")),
        edition_id=_int(row.get("edition_id")),
    )


def parse_user_book(row: dict[str, Any]) -> UserBook:
    return UserBook(
        id=_int(row.get("id")) or 0,
        book_id=_int(row.get("book_id")),
        status_id=_int(row.get("status_id")),
        edition_id=_int(row.get("edition_id")),
        rating=_float(row.get("rating")),
        privacy_setting_id=_int(row.get("privacy_setting_id")),
        date_added=_str(row.get("date_added")),
        last_read_date=_str(row.get("last_read_date")),
        reads=[parse_read(r) for r in row.get("user_book_reads") or [] if isinstance(r, dict)],
    )
