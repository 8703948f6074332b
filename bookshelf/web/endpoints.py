"""Every surface's endpoints, in routing order (static segments before {id})."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookshelf.errors import BookshelfError
from bookshelf.runtime import Runtime
from bookshelf.web import kosync, opds
from bookshelf.web.api import (
    book_files,
    books,
    bulk,
    credentials,
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
    stats,
    trash,
)
from bookshelf.web.routing import Endpoint
from bookshelf.web.ui import routes as ui_routes
from bookshelf.web.ui.errors import error_page


def all_endpoints() -> list[Endpoint]:
    return [
        *meta.ENDPOINTS,
        *keys.ENDPOINTS,
        *credentials.ENDPOINTS,
        *preferences.ENDPOINTS,
        *inbox.ENDPOINTS,
        *bulk.ENDPOINTS,
        *books.ENDPOINTS,
        *review.ENDPOINTS,
        *jobs.ENDPOINTS,
        *library_edit.ENDPOINTS,
        *book_files.ENDPOINTS,
        *trash.ENDPOINTS,
        *ui_routes.ENDPOINTS,
        *reader.ENDPOINTS,
        *reading.ENDPOINTS,
        *stats.ENDPOINTS,
        *hardcover.ENDPOINTS,
        *kosync.ENDPOINTS,
        *opds.ENDPOINTS,
        *library.ENDPOINTS,
        *search.ENDPOINTS,
        *imports.ENDPOINTS,
    ]


async def start_surfaces(rt: Runtime) -> None:
    """Start what serving needs beyond the runtime (queue consumer, watcher, schedules)."""


def surface_error(surface: str, request: Request, exc: BookshelfError) -> Response:
    """Errors outside /api: each surface speaks its own way."""
    if surface == "ui":
        return error_page(request, exc)
    if surface == "kosync":
        return kosync.error_response(exc)
    if surface == "opds":
        return opds.error_response(request, exc)
    return PlainTextResponse(exc.message, status_code=exc.status, headers=exc.headers)
