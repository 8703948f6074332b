"""Every surface's endpoints, in routing order (static segments before {id})."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookshelf.errors import BookshelfError
from bookshelf.runtime import Runtime
from bookshelf.web.api import books, credentials, imports, inbox, jobs, keys, meta, preferences
from bookshelf.web.routing import Endpoint


def all_endpoints() -> list[Endpoint]:
    return [
        *meta.ENDPOINTS,
        *keys.ENDPOINTS,
        *credentials.ENDPOINTS,
        *preferences.ENDPOINTS,
        *inbox.ENDPOINTS,
        *books.ENDPOINTS,
        *jobs.ENDPOINTS,
        *imports.ENDPOINTS,
    ]


async def start_surfaces(rt: Runtime) -> None:
    """Start what serving needs beyond the runtime (queue consumer, watcher, schedules)."""


def surface_error(surface: str, request: Request, exc: BookshelfError) -> Response:
    """Errors outside /api: each surface speaks its own way."""
    return PlainTextResponse(exc.message, status_code=exc.status, headers=exc.headers)
