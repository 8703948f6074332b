"""The one routing table: endpoints declared as data, turned into routes and the OpenAPI spec."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bookshelf.errors import Forbidden, MethodNotAllowed

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: method, path, handler and what the spec says about it.

    ``responses`` maps a status to a JSON schema (for application/json), or to
    ``{"content": {...}}`` / ``{"description": ...}`` for anything else.
    """

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: bool = True
    params: tuple[dict[str, Any], ...] = ()
    body: dict[str, Any] | None = None  # JSON schema, or {"content": {...}} for other media
    body_required: bool = True  # False when an empty body means "all defaults"
    responses: dict[int, Any] = field(default_factory=dict)
    description: str = ""
    in_spec: bool = True
    admin: bool = False  # only an admin account may call it; a reader gets 403 forbidden


def routes_for(endpoints: Iterable[Endpoint]) -> list[Route]:
    """One Route per path, most specific first, dispatching on method."""
    by_path: dict[str, dict[str, Handler]] = {}
    for endpoint in endpoints:
        methods = by_path.setdefault(endpoint.path, {})
        if endpoint.method in methods:
            raise ValueError(f"{endpoint.method} {endpoint.path} is declared twice")
        handler = admin_only(endpoint.handler) if endpoint.admin else endpoint.handler
        methods[endpoint.method] = handler
        if endpoint.method == "GET":
            methods.setdefault("HEAD", handler)
    ordered = sorted(by_path.items(), key=lambda item: _specificity(item[0]))
    return [Route(path, _dispatch(handlers), methods=list(handlers)) for path, handlers in ordered]


def admin_only(handler: Handler) -> Handler:
    """The role guard: a signed-in reader is refused before the handler parses anything.

    No account at all is left to the surface (/api refused it already; a UI
    page sends the browser to sign in)."""

    async def guarded(request: Request) -> Response:
        account = request.scope.get("bookshelf.account")
        if account is not None and not account.is_admin:
            raise Forbidden("This needs an admin account")
        return await handler(request)

    return guarded


def _specificity(path: str) -> list[int]:
    """Static segments sort before {params}, and {rest:path} catch-alls last, so that
    /api/library/facets is never taken as /api/library/{id} whatever the declaration order."""
    return [2 if ":path}" in seg else 1 if seg.startswith("{") else 0 for seg in path.strip("/").split("/")]


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    allow = ", ".join(sorted(handlers))

    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            raise MethodNotAllowed(f"{request.method} is not allowed here", headers={"Allow": allow})
        return await handler(request)

    return dispatch


def path_param(
    name: str, description: str = "", fmt: str | None = "uuid", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    schema = schema or ({"type": "string", "format": fmt} if fmt else {"type": "string"})
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def query_param(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
