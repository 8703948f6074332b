"""/api reading: a book's progress and status override, books by reading status, unmatched documents."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.models import READING_SORTS, READING_STATUSES, Book
from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, path_uuid, query_choice, query_text, read_json
from bookshelf.web.paging import PAGE, limit
from bookshelf.web.routing import Endpoint, path_param, query_param
from bookshelf.web.schemas import TIMESTAMP, nullable, obj, ref

PER_PAGE = limit(20, 100, "perPage")

STATUS_ENUM = {"type": "string", "enum": list(READING_STATUSES)}
BOOK_ID = path_param("id", "Book id")


async def _library_book(request: Request) -> Book:
    """The organized book named in the path (inbox books are 404 under /api/library)."""
    return await runtime(request).library.get(path_uuid(request), with_files=False)


async def book_progress(request: Request) -> Response:
    book = await _library_book(request)
    return ok(await runtime(request).reading.book_progress(account_of(request).id, book))


async def _status_body(request: Request, book: Book) -> Response:
    await runtime(request).reading.annotate(account_of(request).id, [book])
    return ok({"bookId": book.id, "readingStatus": book.reading_status, "progress": book.progress})


async def put_reading_status(request: Request) -> Response:
    book = await _library_book(request)
    body = await read_json(request)
    status = body.get("status")
    if status not in READING_STATUSES:
        raise InvalidInput(
            "status must be one of " + ", ".join(READING_STATUSES),
            details=[{"field": "status", "message": "one of " + ", ".join(READING_STATUSES)}],
        )
    await runtime(request).reading.set_manual(account_of(request).id, book.id, status)
    return await _status_body(request, book)


async def delete_reading_status(request: Request) -> Response:
    book = await _library_book(request)
    await runtime(request).reading.set_manual(account_of(request).id, book.id, None)
    return await _status_body(request, book)


async def status_counts(request: Request) -> Response:
    return ok(await runtime(request).reading.counts(account_of(request).id))


async def books_by_status(request: Request) -> Response:
    status = request.path_params["status"]
    if status not in READING_STATUSES:
        raise InvalidInput(
            "status must be one of " + ", ".join(READING_STATUSES),
            details=[{"field": "status", "message": "one of " + ", ".join(READING_STATUSES)}],
        )
    page = PAGE.parse(request)
    per_page = PER_PAGE.parse(request)
    sort = query_choice(request, "sort", READING_SORTS, "title") or "title"
    order = query_choice(request, "order", ("asc", "desc"), "asc")
    search = query_text(request, "search") or query_text(request, "q")
    data, total = await runtime(request).reading.list_by_status(
        account_of(request).id, status, page, per_page, sort, order == "desc", search
    )
    total_pages = (total + per_page - 1) // per_page
    return ok({"data": data, "page": page, "perPage": per_page, "total": total, "totalPages": total_pages})


async def unmatched(request: Request) -> Response:
    return ok({"data": await runtime(request).reading.unmatched(account_of(request).id)})


async def link_unmatched(request: Request) -> Response:
    body = await read_json(request)
    try:
        book_id = str(uuid.UUID(body.get("bookId")))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput("bookId must be a book id", details=[{"field": "bookId", "message": "a UUID"}]) from None
    return ok(await runtime(request).reading.link(account_of(request).id, request.path_params["document"], book_id))


DEVICE = obj(
    {
        "device": {"type": "string"},
        "deviceId": nullable("string"),
        "percentage": {"type": "number"},
        "progress": {"type": "string"},
        "timestamp": TIMESTAMP,
        "document": {"type": "string"},
    },
    ["device", "deviceId", "percentage", "progress", "timestamp", "document"],
)
BOOK_PROGRESS = obj(
    {
        "bookId": {"type": "string", "format": "uuid"},
        "readingStatus": STATUS_ENUM,
        "progress": nullable("number"),
        "devices": {"type": "array", "items": DEVICE},
    },
    ["bookId", "readingStatus", "progress", "devices"],
)
STATUS_RESULT = obj(
    {"bookId": {"type": "string", "format": "uuid"}, "readingStatus": STATUS_ENUM, "progress": nullable("number")},
    ["bookId", "readingStatus", "progress"],
)
COUNTS = obj({s: {"type": "integer"} for s in READING_STATUSES}, list(READING_STATUSES))
BOOK_WITH_READING = {
    "allOf": [{"type": "object"}, obj({"percentage": nullable("number"), "lastReadAt": nullable("string")})]
}
STATUS_PAGE = obj(
    {
        "data": {"type": "array", "items": BOOK_WITH_READING},
        "page": {"type": "integer"},
        "perPage": {"type": "integer"},
        "total": {"type": "integer"},
        "totalPages": {"type": "integer"},
    },
    ["data", "page", "perPage", "total", "totalPages"],
)
UNMATCHED = obj(
    {
        "data": {
            "type": "array",
            "items": obj(
                {
                    "document": {"type": "string"},
                    "device": {"type": "string"},
                    "percentage": {"type": "number"},
                    "timestamp": TIMESTAMP,
                    "metadata": nullable("object"),
                },
                ["document", "device", "percentage", "timestamp", "metadata"],
            ),
        }
    },
    ["data"],
)
LINKED = obj(
    {"document": {"type": "string"}, "bookId": {"type": "string", "format": "uuid"}, "method": {"type": "string"}},
    ["document", "bookId", "method"],
)
ERRORS = {400: ref("Error"), 404: ref("Error")}

ENDPOINTS = [
    Endpoint("GET", "/api/library/{id}/progress", book_progress, "Get reading progress for a book", "reading",
             params=(BOOK_ID,), description="Every device's position, matched through every KOReader id the "
             "book's files ever had and documents linked to it.", responses={200: BOOK_PROGRESS, **ERRORS}),
    Endpoint("PUT", "/api/library/{id}/reading-status", put_reading_status, "Override a book's reading status",
             "reading", params=(BOOK_ID,), body=obj({"status": STATUS_ENUM}, ["status"], extra=False),
             responses={200: STATUS_RESULT, **ERRORS}),
    Endpoint("DELETE", "/api/library/{id}/reading-status", delete_reading_status,
             "Clear a book's reading status override", "reading", params=(BOOK_ID,),
             responses={200: STATUS_RESULT, **ERRORS}),
    Endpoint("GET", "/api/reading-status/counts", status_counts, "Get reading status counts", "reading",
             responses={200: COUNTS}),
    Endpoint("GET", "/api/reading-status/{status}", books_by_status, "List books by reading status", "reading",
             params=(path_param("status", "Reading status", schema=STATUS_ENUM),
                     PAGE.param(),
                     PER_PAGE.param(),
                     query_param("sort", {"type": "string", "enum": list(READING_SORTS), "default": "title"}),
                     query_param("order", {"type": "string", "enum": ["asc", "desc"], "default": "asc"}),
                     query_param("search", {"type": "string", "maxLength": 500}, "Text query (see Search)"),
                     query_param("q", {"type": "string", "maxLength": 500}, "Alias of search")),
             responses={200: STATUS_PAGE, 400: ref("Error")}),
    Endpoint("GET", "/api/reading/unmatched", unmatched, "List progress that matches no book", "reading",
             description="KOReader documents with progress but no book file or link, with the metadata KOReader "
             "sent (filename, title, authors) when it did.", responses={200: UNMATCHED}),
    Endpoint("POST", "/api/reading/unmatched/{document}/link", link_unmatched, "Attach a document to a book",
             "reading", params=(path_param("document", "KOReader document id", fmt=None),),
             body=obj({"bookId": {"type": "string", "format": "uuid"}}, ["bookId"], extra=False),
             description="The document's progress and history count for the book from then on. 404 for an "
             "unknown book or a document without progress; 409 when it already belongs to a book.",
             responses={200: LINKED, **ERRORS, 409: ref("Error")}),
]  # fmt: skip
