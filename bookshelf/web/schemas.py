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
                    "details": {"type": "array"},
                },
                ["code", "message"],
            ),
        },
        ["error"],
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
COMPONENTS["BookFile"] = obj(
    {
        "id": _UUID,
        "format": {"type": "string", "enum": ["epub", "pdf", "mobi", "azw3", "cbz", "cbr"]},
        "filename": {"type": "string"},
        "size": {"type": "integer"},
        "koreaderHash": {"type": "string"},
        "addedAt": TIMESTAMP,
    },
    ["id", "format", "filename", "size", "koreaderHash", "addedAt"],
)
COMPONENTS["Book"] = obj(
    {
        "id": _UUID,
        "status": BOOK_STATUS,
        "title": {"type": "string"},
        "subtitle": nullable("string"),
        "authors": {"type": "array", "items": {"type": "string"}},
        "author": {"type": "string", "description": "Display join of authors (read-only)."},
        "series": nullable("string"),
        "seriesIndex": nullable("number"),
        "isbn10": nullable("string"),
        "isbn13": nullable("string"),
        "publisher": nullable("string"),
        "publishedYear": nullable("integer"),
        "language": nullable("string"),
        "description": nullable("string"),
        "pageCount": nullable("integer"),
        "genres": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "hasCover": {"type": "boolean"},
        "coverUrl": nullable("string", description="With ?v=<cover sha256 prefix>, cacheable as immutable."),
        "files": {"type": "array", "items": ref("BookFile")},
        "readingStatus": {"type": "string", "enum": ["unread", "reading", "finished", "paused"]},
        "progress": nullable("number"),
        "possibleDuplicateOf": nullable("string"),
        "error": nullable("string"),
        "createdAt": TIMESTAMP,
        "updatedAt": TIMESTAMP,
        "organizedAt": nullable("string", format="date-time"),
    },
    ["id", "status", "title", "authors", "author", "files", "hasCover", "coverUrl", "createdAt", "updatedAt"],
)
