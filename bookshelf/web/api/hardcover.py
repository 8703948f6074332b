"""/api/hardcover and /api/library/{id}/hardcover: sync status, runs, the log, and user links."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, path_uuid, read_json
from bookshelf.web.paging import limit
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import TIMESTAMP, nullable, obj, ref

LOG_LIMIT = limit(20, 100)

ERROR = nullable(
    "object",
    properties={
        "code": {
            "type": "string",
            "enum": ["invalid_token", "missing_scope", "rate_limited", "unavailable", "not_configured", "error"],
        },
        "message": {"type": "string"},
        "at": TIMESTAMP,
    },
    description="Why Hardcover cannot be used: a bad token, a token missing a scope, the service down or "
    "busy; or why the last run stopped.",
)
STATUS = obj(
    {
        "configured": {"type": "boolean"},
        "connected": {"type": "boolean", "description": "the token was accepted by Hardcover (checked each minute)"},
        "username": nullable("string"),
        "lastSyncAt": nullable("string", format="date-time"),
        "error": ERROR,
        "running": {"type": "boolean"},
    },
    ["configured", "connected", "username", "lastSyncAt", "error"],
)
LOG_ENTRY = obj(
    {
        "id": {"type": "integer"},
        "bookId": nullable("string", format="uuid", description="null for entries about a whole run"),
        "bookTitle": nullable("string"),
        "hardcoverBookId": nullable("integer"),
        "action": {"type": "string", "enum": ["link", "push", "sync"]},
        "status": {"type": "string", "description": "ok, linked, needs_confirmation, not_found or error"},
        "message": nullable("string"),
        "lastSyncedAt": TIMESTAMP,
    },
    ["id", "bookId", "bookTitle", "hardcoverBookId", "action", "status", "message", "lastSyncedAt"],
)
LINK_BODY = obj(
    {"bookId": {"type": "integer", "minimum": 1}, "editionId": nullable("integer", minimum=1)}, ["bookId"], extra=False
)
LINK = obj(
    {
        "bookId": nullable("integer", description="Hardcover book id; null while unlinked"),
        "editionId": nullable("integer"),
        "pages": nullable("integer", description="page count progress is measured in (0: unknown)"),
        "method": {"type": "string", "enum": ["isbn", "search", "user", "none"]},
        "confidence": nullable("number"),
        "userSet": {"type": "boolean"},
        "candidates": {"type": "array", "items": {"type": "object"}, "description": "search matches to confirm"},
        "updatedAt": nullable("string", format="date-time"),
    },
    ["bookId", "editionId", "method", "confidence", "userSet", "candidates"],
)
BOOK_ID = path_param("id", "library book id")


async def get_status(request: Request) -> Response:
    return ok(await runtime(request).hardcover.status(account_of(request).id))


async def post_sync(request: Request) -> Response:
    return ok({"jobId": await runtime(request).hardcover.start(account_of(request).id)}, 202)


async def get_log(request: Request) -> Response:
    limit = LOG_LIMIT.parse(request)
    return ok(await runtime(request).hardcover.log_entries(account_of(request).id, limit))


async def get_link(request: Request) -> Response:
    return ok(await runtime(request).hardcover.links.get(account_of(request).id, path_uuid(request)))


async def put_link(request: Request) -> Response:
    book_id = path_uuid(request)
    body = await read_json(request)
    return ok(await runtime(request).hardcover.links.set(account_of(request).id, book_id, body))


async def delete_link(request: Request) -> Response:
    await runtime(request).hardcover.links.delete(account_of(request).id, path_uuid(request))
    return ok({"deleted": True})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/hardcover/status",
        get_status,
        "Get Hardcover connection status",
        "hardcover",
        description="Verifies the token with Hardcover (`me`), at most once a minute.",
        responses={200: STATUS},
    ),
    Endpoint(
        "POST",
        "/api/hardcover/sync",
        post_sync,
        "Trigger Hardcover sync",
        "hardcover",
        description="Starts a run; while one runs its job id is returned instead of a second run.",
        responses={202: obj({"jobId": {"type": "string", "format": "uuid"}}, ["jobId"]), 409: ref("Error")},
    ),
    Endpoint(
        "GET",
        "/api/hardcover/sync/log",
        get_log,
        "List Hardcover sync log entries",
        "hardcover",
        params=(LOG_LIMIT.param(),),
        description="One entry per book and action, updated in place; newest first. A bare array.",
        responses={200: {"type": "array", "items": LOG_ENTRY}, 400: ref("Error")},
    ),
    Endpoint(
        "GET",
        "/api/library/{id}/hardcover",
        get_link,
        "Get a book's Hardcover link",
        "hardcover",
        params=(BOOK_ID,),
        description="Includes search candidates when a match needs confirmation.",
        responses={200: LINK, 400: ref("Error"), 404: ref("Error")},
    ),
    Endpoint(
        "PUT",
        "/api/library/{id}/hardcover",
        put_link,
        "Link a book to a Hardcover book",
        "hardcover",
        params=(BOOK_ID,),
        body=LINK_BODY,
        description="A link set here is never replaced by automatic linking.",
        responses={200: LINK, 400: ref("Error"), 404: ref("Error")},
    ),
    Endpoint(
        "DELETE",
        "/api/library/{id}/hardcover",
        delete_link,
        "Remove a book's Hardcover link",
        "hardcover",
        params=(BOOK_ID,),
        responses={200: obj({"deleted": {"type": "boolean"}}, ["deleted"]), 400: ref("Error"), 404: ref("Error")},
    ),
]
