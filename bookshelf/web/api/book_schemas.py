"""JSON schemas for books, candidates and the review and library-edit bodies."""

from __future__ import annotations

from typing import Any

from bookshelf.web.schemas import TIMESTAMP, nullable, obj

UUID = {"type": "string", "format": "uuid"}
NAMES = {"type": "array", "items": {"type": "string"}}
FIELD_TYPES: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 500},
    "subtitle": nullable("string", maxLength=500),
    "authors": NAMES,
    "series": nullable("string", maxLength=500),
    "seriesIndex": nullable("number", minimum=0),
    "isbn10": nullable("string"),
    "isbn13": nullable("string"),
    "publisher": nullable("string", maxLength=300),
    "publishedYear": nullable("integer", minimum=0, maximum=3000),
    "language": nullable("string", maxLength=35),
    "description": nullable("string", maxLength=100000),
    "pageCount": nullable("integer", minimum=0),
    "genres": NAMES,
    "tags": NAMES,
}
FILE = obj(
    {"id": UUID, "format": {"type": "string"}, "filename": {"type": "string"}, "size": {"type": "integer"},
     "koreaderHash": {"type": "string"}, "addedAt": TIMESTAMP},
    ["id", "format", "filename", "size", "koreaderHash", "addedAt"],
)  # fmt: skip
BOOK = obj(
    {
        "id": UUID,
        "status": {"type": "string", "enum": ["processing", "review", "organized", "failed"]},
        **FIELD_TYPES,
        "author": {"type": "string"},
        "contributors": {
            "type": "array",
            "description": "Credits other than authors (a comic's inker, colorist, letterer ...), read from the file",
            "items": obj({"name": {"type": "string"}, "role": {"type": "string"}}, ["name", "role"]),
        },
        "hasCover": {"type": "boolean"},
        "coverUrl": nullable("string"),
        "files": {"type": "array", "items": FILE},
        "readingStatus": {"type": "string"},
        "progress": nullable("number"),
        "possibleDuplicateOf": nullable("string"),
        "createdAt": TIMESTAMP,
        "updatedAt": TIMESTAMP,
        "organizedAt": nullable("string", format="date-time"),
    },
    ["id", "status", "title", "authors", "author", "files"],
)
CANDIDATE = obj(
    {
        "id": UUID,
        "source": {"type": "string", "enum": ["file", "google_books", "hardcover", "openlibrary"]},
        "sourceId": nullable("string"),
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        **{k: v for k, v in FIELD_TYPES.items() if k not in ("subtitle", "tags")},
        "title": nullable("string"),
        "coverUrl": nullable("string", description="/api/books/{id}/candidates/{candidateId}/cover"),
        "remoteCoverUrl": nullable("string", description="The provider's own image URL (never loaded by pages)"),
        "fetchedAt": TIMESTAMP,
    },
    ["id", "source", "score", "fetchedAt"],
)
NOTE = obj(
    {
        "source": {"type": "string", "description": "The provider asked: hardcover, google_books or openlibrary"},
        "status": {
            "type": "string",
            "enum": ["ok", "skipped", "error"],
            "description": "ok: the provider answered; skipped: not asked; error: asked and failed",
        },
        "reason": {
            "type": "string",
            "description": "ok: fetched, cached or no_match; skipped: not_configured or no_query; error: "
            "unavailable (offline or unreachable), timeout, rate_limited, quota, unauthorized, "
            "missing_scope, server_error, bad_response, graphql_error ...",
        },
        "message": {"type": "string", "description": "What happened, in words"},
        "results": {"type": "integer", "description": "How many candidates the provider gave (ok only)"},
    },
    ["source", "status", "reason", "message"],
)
CANDIDATES = obj(
    {
        "book": BOOK,
        "candidates": {"type": "array", "items": CANDIDATE},
        "lookup": {
            "oneOf": [
                {"type": "null"},
                obj({"fetchedAt": TIMESTAMP, "notes": {"type": "array", "items": NOTE}}, ["fetchedAt", "notes"]),
            ]
        },
    },
    ["book", "candidates"],
)
SELECTABLE = {**{k: UUID for k in FIELD_TYPES}, "cover": UUID}
APPROVE = obj(
    {
        "selections": obj(SELECTABLE, extra=False),
        "overrides": obj(FIELD_TYPES, extra=False),
        "mergeInto": {**UUID, "description": "An organized book to receive this book's files (approve only)"},
    },
    extra=False,
)
BOOK_AND_JOB = obj({"book": BOOK, "jobId": UUID}, ["book", "jobId"])
BOOK_AND_MAYBE_JOB = obj({"book": BOOK, "jobId": nullable("string", format="uuid")}, ["book", "jobId"])
QUEUED = obj({"bookId": UUID, "jobId": UUID}, ["bookId", "jobId"])
EDIT = obj(FIELD_TYPES, extra=False)
