"""JSON schemas of the API's bodies, published under components.schemas."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str | list[str], **extra: Any) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    return {"type": [*kinds, "null"], **extra}


def obj(properties: dict[str, Any], required: list[str] | None = None, extra: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return obj(
        {
            "data": {"type": "array", "items": item},
            "page": {"type": "integer"},
            "limit": {"type": "integer"},
            "total": {"type": "integer"},
            "totalPages": {"type": "integer"},
        },
        ["data", "page", "limit", "total", "totalPages"],
    )


TIMESTAMP = {"type": "string", "format": "date-time"}
BINARY = {"type": "string", "format": "binary"}
IMAGE = {"content": {"image/jpeg": {"schema": BINARY}, "image/png": {"schema": BINARY}}}

COMPONENTS: dict[str, Any] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {
                        "type": "string",
                        "enum": [
                            "invalid_input",
                            "unauthorized",
                            "forbidden",
                            "not_found",
                            "method_not_allowed",
                            "conflict",
                            "payload_too_large",
                            "rate_limited",
                            "upstream_error",
                            "unavailable",
                            "internal",
                        ],
                    },
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "description": "For invalid_input, one entry per problem: the field it is in, what is "
                        "wrong and, where a bound was broken, the limit (a length, or the top of a range "
                        "with min its bottom). Uploads list rejected files instead.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                                "limit": {"type": "number"},
                                "min": {"type": "number"},
                            },
                        },
                    },
                },
                ["code", "message"],
            ),
        },
        ["error"],
    ),
    "Account": obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "reader"]},
            "canUpload": {"type": "boolean"},
        },
        ["id", "username", "role", "canUpload"],
    ),
    "ApiKey": obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "label": {"type": "string"},
            "createdAt": TIMESTAMP,
            "lastUsedAt": nullable("string", format="date-time"),
        },
        ["id", "label", "createdAt", "lastUsedAt"],
    ),
    "NewApiKey": obj(
        {
            "id": {"type": "string", "format": "uuid"},
            "key": {"type": "string"},
            "label": {"type": "string"},
            "createdAt": TIMESTAMP,
        },
        ["id", "key", "label", "createdAt"],
    ),
    "Credential": obj(
        {
            "service": {"type": "string", "enum": ["opds", "kosync", "hardcover", "google_books"]},
            "configured": {"type": "boolean"},
            "username": nullable("string"),
            "createdAt": nullable("string", format="date-time"),
            "updatedAt": nullable("string", format="date-time"),
            "source": {"type": "string", "enum": ["settings", "environment"]},
        },
        ["service", "configured"],
    ),
    "Deleted": obj({"deleted": {"type": "boolean"}, "id": {"type": "string"}}, ["deleted"]),
}

_UUID = {"type": "string", "format": "uuid"}
BOOK_STATUS = {"type": "string", "enum": ["processing", "review", "organized", "failed"]}
_STR = {"type": "string"}
_INT_OR_NULL = nullable("integer")
_STR_OR_NULL = nullable("string")
_STRINGS = {"type": "array", "items": _STR}

# Metadata fields a book and a candidate share (API.md).
_METADATA = {
    "series": _STR_OR_NULL,
    "seriesIndex": nullable("number"),
    "isbn10": _STR_OR_NULL,
    "isbn13": _STR_OR_NULL,
    "publisher": _STR_OR_NULL,
    "publishedYear": _INT_OR_NULL,
    "language": _STR_OR_NULL,
    "description": _STR_OR_NULL,
    "pageCount": _INT_OR_NULL,
    "genres": _STRINGS,
}

COMPONENTS["BookFile"] = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "format": {"type": "string", "enum": ["epub", "pdf", "mobi", "azw3", "cbz", "cbr"]},
        "filename": _STR,
        "size": {"type": "integer"},
        "koreaderHash": _STR,
        "addedAt": TIMESTAMP,
    },
    ["id", "format", "filename", "size", "koreaderHash", "addedAt"],
)
COMPONENTS["Book"] = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["processing", "review", "organized", "failed"]},
        "title": _STR,
        "subtitle": _STR_OR_NULL,
        "authors": _STRINGS,
        "author": _STR,
        **_METADATA,
        "tags": _STRINGS,
        "hasCover": {"type": "boolean"},
        "coverUrl": _STR_OR_NULL,
        "files": {"type": "array", "items": ref("BookFile")},
        "readingStatus": {"type": "string", "enum": ["unread", "reading", "finished", "paused"]},
        "progress": nullable("number"),
        "possibleDuplicateOf": nullable("string", format="uuid"),
        "error": {**_STR_OR_NULL, "description": "Why the last ingest step failed (status failed)"},
        "createdAt": TIMESTAMP,
        "updatedAt": TIMESTAMP,
        "organizedAt": nullable("string", format="date-time"),
    },
    ["id", "status", "title", "authors", "author", "files", "hasCover", "coverUrl", "createdAt", "updatedAt"],
)
COMPONENTS["Candidate"] = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "source": {"type": "string", "enum": ["file", "google_books", "hardcover", "openlibrary"]},
        "sourceId": _STR_OR_NULL,
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "title": _STR_OR_NULL,
        "authors": _STRINGS,
        **_METADATA,
        "coverUrl": _STR_OR_NULL,
        "remoteCoverUrl": _STR_OR_NULL,
        "fetchedAt": TIMESTAMP,
    },
    ["id", "source", "score", "fetchedAt"],
)
COMPONENTS["FailedJob"] = obj(
    {
        "id": _STR,
        "queue": {"type": "string", "enum": ["parse", "metadata", "organize", "hardcover", "maintenance"]},
        "task": _STR,
        "bookId": nullable("string", format="uuid"),
        "error": _STR_OR_NULL,
        "attempts": {"type": "integer"},
        "createdAt": TIMESTAMP,
        "failedAt": nullable("string", format="date-time"),
    },
    ["id", "queue", "task", "bookId", "error", "attempts", "createdAt", "failedAt"],
)


# -- HTTP headers of images and files (covers and downloads on /api and /opds alike) ------------


def header(description: str, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string"}}


def request_header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description, "schema": {"type": "string"}}


IF_NONE_MATCH = request_header("If-None-Match", "ETags already held: 304 when one is current")
RANGE_PARAMS = (
    request_header("Range", "One byte range, e.g. bytes=0-1023 (206); past the end is 416; others are ignored"),
    request_header("If-Range", "Honour Range only while the file still has this ETag or Last-Modified"),
    IF_NONE_MATCH,
)
IMAGE_HEADERS = {"ETag": header("Version of the image"), "Cache-Control": header("How long to keep it")}
FILE_HEADERS = {
    "Content-Disposition": header("attachment; filename=\"ASCII\"; filename*=UTF-8''UTF-8 name (RFC 6266)"),
    "Accept-Ranges": header("bytes"),
    "ETag": header("Version of the file"),
    "Last-Modified": header("When the file last changed"),
}
PARTIAL_HEADERS = {**FILE_HEADERS, "Content-Range": header("bytes first-last/size")}
UNSATISFIABLE_HEADERS = {"Content-Range": header("bytes */size")}


def with_headers(response: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    """A non-JSON response declaration ({"content": ...}) with the headers it always carries."""
    return {**response, "headers": headers}


NOT_MODIFIED = {"description": "Not modified", "headers": {"ETag": header("The current version")}}
