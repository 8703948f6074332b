"""Every surface's endpoints, in routing order (static segments before {id})."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookshelf.errors import BookshelfError
from bookshelf.web import kosync, opds
from bookshelf.web.api import (
    book_files,
    books,
    bulk,
    credentials,
    devices,
    hardcover,
    imports,
    inbox,
    jobs,
    keys,
    library,
    library_edit,
    meta,
    preferences,
    reader,
    reading,
    review,
    search,
    send,
    smtp,
    stats,
    trash,
    users,
)
from bookshelf.web.routing import Endpoint
from bookshelf.web.ui import routes as ui_routes
from bookshelf.web.ui.errors import error_page

# Who may call what. A reader browses, searches, reads and downloads the shared
# library and keeps their own reading, statistics, devices, credentials, Hardcover
# and keys; everything that changes the library or the server is an admin's.
# Upload is checked in its handler (an admin, or a reader with canUpload).
READER_INBOX = {("POST", "/api/inbox/upload")}
ADMIN_UI = {
    ("GET", "/inbox"), ("GET", "/review/{id}"), ("GET", "/jobs"), ("GET", "/trash"), ("POST", "/trash/empty"),
    ("POST", "/trash/{id}/restore"), ("POST", "/trash/{id}/delete"), ("POST", "/settings/preferences"),
}  # fmt: skip


def admin(endpoints: Iterable[Endpoint], keep: set[tuple[str, str]] | None = None) -> list[Endpoint]:
    """These endpoints for admins only, but those in ``keep``."""
    keep = keep or set()
    return [e if (e.method, e.path) in keep else replace(e, admin=True) for e in endpoints]


def all_endpoints() -> list[Endpoint]:
    return [
        *meta.ENDPOINTS,
        *keys.ENDPOINTS,
        *users.ENDPOINTS,
        *admin(smtp.ENDPOINTS),
        *credentials.ENDPOINTS,
        *devices.ENDPOINTS,
        *send.ENDPOINTS,
        *admin(preferences.ENDPOINTS),
        *admin(inbox.ENDPOINTS, keep=READER_INBOX),
        *admin(bulk.ENDPOINTS),
        *admin(books.ENDPOINTS),
        *admin(review.ENDPOINTS),
        *admin(jobs.ENDPOINTS),
        *admin(library_edit.ENDPOINTS),
        *admin(book_files.ENDPOINTS),
        *admin(trash.ENDPOINTS),
        *[replace(e, admin=True) if (e.method, e.path) in ADMIN_UI else e for e in ui_routes.ENDPOINTS],
        *reader.ENDPOINTS,
        *reading.ENDPOINTS,
        *stats.ENDPOINTS,
        *hardcover.ENDPOINTS,
        *kosync.ENDPOINTS,
        *opds.ENDPOINTS,
        *library.ENDPOINTS,
        *search.ENDPOINTS,
        *admin(imports.ENDPOINTS),
    ]


def surface_error(surface: str, request: Request, exc: BookshelfError) -> Response:
    """Errors outside /api: each surface speaks its own way."""
    if surface == "ui":
        return error_page(request, exc)
    if surface == "kosync":
        return kosync.error_response(exc)
    if surface == "opds":
        return opds.error_response(request, exc)
    return PlainTextResponse(exc.message, status_code=exc.status, headers=exc.headers)
