"""/api/search/suggest: as-you-type suggestions over organized and review books."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.web.api import runtime
from bookshelf.web.http import ok, query_text
from bookshelf.web.routing import Endpoint, query_param
from bookshelf.web.schemas import nullable, obj, ref

MAX_QUERY = 500
SUGGESTION = obj(
    {
        "id": {"type": "string", "format": "uuid"},
        "title": {"type": "string"},
        "author": {"type": "string"},
        "status": {"type": "string", "enum": ["organized", "review"]},
        "coverUrl": nullable("string"),
        "kind": {"type": "string", "enum": ["library", "inbox"]},
    },
    ["id", "title", "author", "status", "coverUrl", "kind"],
)


async def suggest(request: Request) -> Response:
    query = query_text(request, "q", MAX_QUERY)
    if not query:
        raise InvalidInput("q is required", details=[{"field": "q", "message": "1 to 500 characters"}])
    return ok({"data": await runtime(request).search.suggest(query)})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/search/suggest",
        suggest,
        "Search suggestions",
        "search",
        params=(query_param("q", {"type": "string", "minLength": 1, "maxLength": MAX_QUERY}, "What was typed.", True),),
        description="Up to 8 organized or review books whose title or author words start with the typed words "
        "(the last one as a prefix), best first. A query with no letters or digits gives an empty list.",
        responses={
            200: obj({"data": {"type": "array", "items": SUGGESTION, "maxItems": 8}}, ["data"]),
            400: ref("Error"),
        },
    ),
]
