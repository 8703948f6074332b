"""The /kosync front door: a pure-ASGI layer that answers KOReader's requests ahead of the rest of the stack.

A device pushes or pulls on every page turn, and each Starlette middleware
layer and each route tried on the way costs CPU per request. /kosync needs
none of them (it has its own credentials, no proxy-dependent URLs, no UI
headers), so this layer, outermost in the app, takes the request straight to
its handler from a table built from ``kosync.ENDPOINTS`` and writes the access
log line itself. Anything it has no route for (404, 405) goes on down the
ordinary stack, which answers it in the kosync error shape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bookshelf.errors import BookshelfError
from bookshelf.web import kosync
from bookshelf.web.middleware import access_log
from bookshelf.web.routing import Endpoint, Handler

log = logging.getLogger("bookshelf")
PREFIX = "/kosync"


def clean_path(path: str) -> str:
    """Collapse '//' and drop a trailing '/', as KOReader's own URL building does.

    Routing then never sees a path it would answer with a redirect, which
    KOReader does not follow.
    """
    if path.endswith("/") or "//" in path:
        return "/" + "/".join(part for part in path.split("/") if part)
    return path


class KosyncRoutes:
    """(method, path) to handler for the fixed paths; one trailing {param} segment for the others."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self.fixed: dict[tuple[str, str], Handler] = {}
        self.prefixed: dict[str, list[tuple[str, str, Handler]]] = {}  # method -> (prefix, param name, handler)
        for endpoint in endpoints:
            methods = (endpoint.method, "HEAD") if endpoint.method == "GET" else (endpoint.method,)
            head, brace, rest = endpoint.path.partition("{")
            for method in methods:
                if not brace:
                    self.fixed[(method, endpoint.path)] = endpoint.handler
                else:
                    if "/" in rest or not rest.endswith("}") or ":" in rest:
                        raise ValueError(f"{endpoint.path}: only one plain trailing parameter is supported")
                    self.prefixed.setdefault(method, []).append((head, rest[:-1], endpoint.handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        handler = self.fixed.get((method, path))
        if handler is not None:
            return handler, {}
        for prefix, name, candidate in self.prefixed.get(method, ()):
            if path.startswith(prefix):
                value = path[len(prefix) :]
                if value and "/" not in value:  # what Starlette's {param} matches: one non-empty segment
                    return candidate, {name: value}
        return None


class KosyncFrontDoor:
    def __init__(self, app: ASGIApp, endpoints: Iterable[Endpoint] = kosync.ENDPOINTS) -> None:
        self.app = app
        self.routes = KosyncRoutes(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        cleaned = clean_path(path)
        if cleaned != path:
            scope = {**scope, "path": cleaned}
        found = self.routes.find(scope["method"], cleaned)
        if found is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        handler, params = found
        scope["path_params"] = params
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except BookshelfError as exc:
            response = kosync.error_response(exc)
        except Exception as exc:
            log.error("unhandled error on %s %s: %s", scope["method"], cleaned, type(exc).__name__, exc_info=exc)
            response = kosync.error_response(BookshelfError("Internal error"))
        try:
            await response(scope, receive, send)
        finally:
            self._log(scope["method"], cleaned, response.status_code, started)

    @staticmethod
    def _log(method: str, path: str, status: int, started: float) -> None:
        """The line web.middleware.AccessLog writes for every other request, at debug level when it succeeded.

        A device syncs on every page turn: an info line for each would flood
        the log (and cost more CPU than the rest of the request), while a
        refusal or an error is worth seeing at the usual level.
        """
        level = logging.DEBUG if status < 400 else logging.INFO
        if access_log.isEnabledFor(level):
            elapsed = (time.perf_counter() - started) * 1000
            access_log.log(
                level,
                "%s %s %d %.1fms",
                method,
                path,
                status,
                elapsed,
                extra={"method": method, "path": path, "status": status, "durationMs": round(elapsed, 1)},
            )
