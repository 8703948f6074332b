"""JSON API handlers, one module per resource of API.md."""

from __future__ import annotations

from starlette.requests import Request

from bookshelf.runtime import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def caller_key(request: Request) -> str | None:
    """The id of the API key that authenticated this request (None for a UI session)."""
    return request.scope.get("bookshelf.key_id")
