"""Every surface's endpoints, in routing order (static segments before {id})."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookshelf.errors import BookshelfError
from bookshelf.runtime import Runtime
from bookshelf.web import kosync
from bookshelf.web.api import credentials, hardcover, keys, meta, preferences, reading, stats
from bookshelf.web.routing import Endpoint


def all_endpoints() -> list[Endpoint]:
    return [
        *meta.ENDPOINTS,
        *keys.ENDPOINTS,
        *credentials.ENDPOINTS,
        *preferences.ENDPOINTS,
        *reading.ENDPOINTS,
        *stats.ENDPOINTS,
        *hardcover.ENDPOINTS,
        *kosync.ENDPOINTS,
    ]


async def start_surfaces(rt: Runtime) -> None:
    """Start what serving needs beyond the runtime (queue consumer, watcher, schedules)."""


def surface_error(surface: str, request: Request, exc: BookshelfError) -> Response:
    """Errors outside /api: each surface speaks its own way."""
    if surface == "kosync":
        return kosync.error_response(exc)
    return PlainTextResponse(exc.message, status_code=exc.status, headers=exc.headers)
