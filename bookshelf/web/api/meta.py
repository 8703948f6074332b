"""/api/health, the OpenAPI document and the offline docs page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bookshelf.web.api import runtime
from bookshelf.web.http import ok
from bookshelf.web.routing import Endpoint
from bookshelf.web.schemas import obj

HEALTH = obj(
    {
        "status": {"type": "string", "enum": ["ok", "degraded", "error"]},
        "version": {"type": "string"},
        "uptimeSeconds": {"type": "number"},
        "checks": {"type": "object"},
    },
    ["status"],
)

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bookshelf API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/apidocs.css"></head>
<body><header><h1>bookshelf API</h1><p>Interactive reference generated from
<a href="/api/openapi.json">/api/openapi.json</a>. Paste an API key to try requests.</p>
<label>API key <input id="key" type="password" autocomplete="off" placeholder="bks_..."></label></header>
<main id="ops" aria-live="polite">Loading the specification…</main>
<script type="module" src="/static/apidocs.js"></script></body></html>
"""


async def get_health(request: Request) -> Response:
    health = runtime(request).health
    status, checks = await health.check()
    code = 503 if status == "error" else 200
    if request.scope.get("bookshelf.key_id"):
        return ok(health.detailed(status, checks), code)
    return ok({"status": status}, code)


async def get_spec(request: Request) -> Response:
    return ok(request.app.state.openapi)


async def get_docs(request: Request) -> Response:
    return HTMLResponse(DOCS_PAGE)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/health",
        get_health,
        "Health check",
        "meta",
        auth=False,
        description="Minimal status without a key; with a valid key also version, uptime and checks.",
        responses={200: HEALTH, 503: HEALTH},
    ),
    Endpoint(
        "GET",
        "/api/openapi.json",
        get_spec,
        "This OpenAPI document",
        "meta",
        auth=False,
        responses={200: {"type": "object"}},
    ),
    Endpoint(
        "GET",
        "/api/docs",
        get_docs,
        "Interactive API documentation",
        "meta",
        auth=False,
        responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
    ),
]
