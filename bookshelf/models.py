"""Dataclasses shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bookshelf import placeholder_text as placeholder

ROLES = ("admin", "reader")
# Every book format bookshelf reads, with the media type it is served as.
MEDIA_TYPES = {
    "epub": "application/epub+zip",
    "pdf": "application/pdf",
    "mobi": "application/x-mobipocket-ebook",
    "azw3": "application/vnd.amazon.mobi8-ebook",  # OPDS.md's table; KOReader maps it
    "cbz": "application/vnd.comicbook+zip",
    "cbr": "application/vnd.comicbook-rar",
}


@dataclass(frozen=True)
class Account:
    """A reader of this server: an admin (everything) or a reader (their own reading, shared books)."""

    id: str  # UUID text
    username: str
    role: str  # 'admin' | 'reader'
    can_upload: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "role": self.role, "canUpload": self.can_upload}


@dataclass(frozen=True)
class ApiKey:
    id: str
    label: str
    created_at: str
    last_used_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "createdAt": self.created_at, "lastUsedAt": self.last_used_at}


INBOX_STATUSES = ("processing", "review", "failed")
BOOK_STATUSES = ("processing", "review", "organized", "failed")
STAGES = ("parsing", "fetching_metadata", "organizing")

# Book fields a user may edit or select from a candidate (API names -> column names).
EDITABLE_FIELDS: dict[str, str] = {
    "title": "title",
    "subtitle": "subtitle",
    "authors": "authors",
    "series": "series",
    "seriesIndex": "series_index",
    "isbn10": "isbn10",
    "isbn13": "isbn13",
    "publisher": "publisher",
    "publishedYear": "published_year",
    "language": "language",
    "description": "description",
    "pageCount": "page_count",
    "genres": "genres",
    "tags": "tags",
}


@dataclass
class BookFile:
    id: str
    book_id: str
    format: str
    root: str  # incoming | library | external
    path: str  # relative to its root; absolute for external
    filename: str
    size: int
    sha256: str
    koreader_hash: str
    page_count: int | None
    added_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "format": self.format,
            "filename": self.filename,
            "size": self.size,
            "koreaderHash": self.koreader_hash,
            "addedAt": self.added_at,
        }


@dataclass(frozen=True)
class Credit:
    """Someone who worked on a book in a role other than author (a comic's inker, colorist ...)."""

    name: str
    role: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


@dataclass
class Book:
    id: str
    status: str
    title: str = ""
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    author_sort: str = ""
    series: str | None = None
    series_index: float | None = None
    isbn10: str | None = None
    isbn13: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    publisher: str | None = None
    published_year: int | None = None
    language: str | None = None
    description: str | None = None
    page_count: int | None = None
    genres: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contributors: list[Credit] = field(default_factory=list)
    rating: float | None = None
    cover_sha256: str | None = None
    possible_duplicate_of: str | None = None
    stage: str | None = None
    error: str | None = None
    created_at: str = ""
    updated_at: str = ""
    organized_at: str | None = None
    num: int | None = None
    files: list[BookFile] = field(default_factory=list)
    # Reading summary, filled in by the reading service where a view needs it.
    reading_status: str = "unread"
    progress: float | None = None

    @property
    def in_inbox(self) -> bool:
        return self.status in INBOX_STATUSES

    def cover_url(self) -> str:
        """The cover's URL; a book without a cover of its own is served a generated one (hasCover false)."""
        base = "inbox" if self.in_inbox else "library"
        version = self.cover_sha256 or placeholder.book_token(self.title, self.authors, self.series, self.series_index)
        return f"/api/{base}/{self.id}/cover?v={version[:16]}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "author": ", ".join(self.authors),
            "series": self.series,
            "seriesIndex": self.series_index,
            "isbn10": self.isbn10,
            "isbn13": self.isbn13,
            "publisher": self.publisher,
            "publishedYear": self.published_year,
            "language": self.language,
            "description": self.description,
            "pageCount": self.page_count,
            "genres": list(self.genres),
            "tags": list(self.tags),
            "contributors": [c.to_json() for c in self.contributors],
            "hasCover": self.cover_sha256 is not None,
            "coverUrl": self.cover_url(),
            "files": [f.to_json() for f in self.files],
            "readingStatus": self.reading_status,
            "progress": self.progress,
            "possibleDuplicateOf": self.possible_duplicate_of,
            "error": self.error,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "organizedAt": self.organized_at,
        }


@dataclass
class Progress:
    """One KOReader position: what a device last reported for a document."""

    document: str
    device: str
    percentage: float
    progress: str
    timestamp: int = 0  # Unix seconds, set by the server clock
    device_id: str | None = None  # as KOReader sent it; None when it sent none
    metadata: dict[str, Any] | None = None  # KOReader's optional filename/title/authors

    @property
    def device_key(self) -> str:
        """What a device's rows are keyed by: its id, or its name when it sent no id."""
        return self.device_id if self.device_id is not None else self.device

    def to_kosync(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "document": self.document,
            "percentage": _number(self.percentage),
            "progress": self.progress,
            "device": self.device,
        }
        if self.device_id is not None:
            body["device_id"] = self.device_id
        body["timestamp"] = int(self.timestamp)
        return body


def _number(value: float) -> float | int:
    # KOReader sends whole percentages as JSON integers; give them back the same way.
    return int(value) if float(value).is_integer() else value


# Candidate fields shown by the API, in the order API.md lists them.
CANDIDATE_FIELDS = (
    "title", "authors", "series", "seriesIndex", "isbn10", "isbn13", "publisher", "publishedYear",
    "language", "description", "pageCount", "genres",
)  # fmt: skip


@dataclass
class Candidate:
    """One source's opinion of a book's metadata (``file`` is what the file itself says)."""

    id: str
    book_id: str
    source: str
    source_id: str | None
    score: float
    data: dict[str, Any]
    fetched_at: str
    cover_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "source": self.source, "sourceId": self.source_id, "score": self.score}
        for name in CANDIDATE_FIELDS:
            default: object = [] if name in ("authors", "genres") else None
            body[name] = self.data.get(name, default)
        cover = self.data.get("coverUrl")
        if self.source == "file":
            body["coverUrl"] = cover
        else:
            body["coverUrl"] = f"/api/books/{self.book_id}/candidates/{self.id}/cover" if cover else None
            body["remoteCoverUrl"] = cover
        body["fetchedAt"] = self.fetched_at
        return body


# -- listing books ---------------------------------------------------------------------------

# A book's reading status, in the order the API publishes them.
READING_STATUSES = ("unread", "reading", "finished", "paused")
# /api/reading-status/{status}?sort=
READING_SORTS = ("title", "author", "percentage", "lastRead")


@dataclass
class BookFilter:
    """Which books a list shows. Names match /api/library's query parameters."""

    statuses: tuple[str, ...] = ("organized",)
    author: str | None = None  # partial, case-insensitive
    author_id: int | None = None
    genre: str | None = None  # exact, case-insensitive
    genre_id: int | None = None
    series: str | None = None
    series_id: int | None = None
    language: str | None = None
    format: str | None = None
    nums: list[int] | None = None  # restrict to these rows (search results)
    match: str | None = None  # an FTS5 expression from SearchService.filter_expression, never raw user text

    @classmethod
    def of_nav(cls, table: str, item_id: int) -> BookFilter:
        """The organized books of one author, genre or series (an OPDS navigation entry)."""
        if table == "authors":
            return cls(author_id=item_id)
        if table == "genres":
            return cls(genre_id=item_id)
        if table == "series":
            return cls(series_id=item_id)
        raise KeyError(table)


# -- the OPDS catalog --------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogState:
    generation: int
    changed_at: str  # RFC 3339, UTC


@dataclass(frozen=True)
class NavItem:
    """An author, genre or series with how many organized books it has."""

    id: int
    name: str
    count: int


@dataclass
class BookLinks:
    """What a feed entry links to besides the book itself."""

    authors: list[tuple[int, str]] = field(default_factory=list)  # (author id, name) in byline order
    series_id: int | None = None
