"""The published OpenAPI 3.1 document, built from the same endpoints as the routing table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bookshelf.web import schemas
from bookshelf.web.routing import Endpoint

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    206: "Partial content",
    304: "Not modified",
    400: "Invalid input",
    401: "Missing or invalid credentials",
    402: "Refused",
    403: "Forbidden: an admin route",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    416: "Range not satisfiable",
    429: "Too many failed attempts",
    500: "Internal error",
    502: "Upstream error",
    503: "Unavailable",
}


def build_spec(endpoints: Iterable[Endpoint], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        if not endpoint.in_spec:
            continue
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "bookshelf",
            "version": version,
            "description": "A self-hosted ebook server: inbox, metadata review, library, OPDS and KOReader sync.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas.COMPONENTS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "basic": {"type": "http", "scheme": "basic"},
                "kosync": {"type": "apiKey", "in": "header", "name": "x-auth-user"},
            },
        },
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": _operation_id(endpoint),
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "responses": {},
    }
    if endpoint.description:
        op["description"] = endpoint.description
    if endpoint.params:
        op["parameters"] = list(endpoint.params)
    if endpoint.body is not None:
        content = (
            endpoint.body.get("content")
            if "content" in endpoint.body
            else {"application/json": {"schema": endpoint.body}}
        )
        op["requestBody"] = {"required": endpoint.body_required, "content": content}
    if endpoint.path.startswith("/api"):
        op["security"] = [{"bearer": []}, {"apiKey": []}] if endpoint.auth else []
    elif endpoint.path.startswith("/opds"):
        op["security"] = [{"basic": []}]
    for status, spec in endpoint.responses.items():
        op["responses"][str(status)] = _response(status, spec)
    if endpoint.path.startswith("/api"):
        for status, spec in _implied_errors(endpoint).items():
            op["responses"].setdefault(str(status), spec)
        # Every /api operation can fail with the one JSON error shape.
        op["responses"]["default"] = {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return op


_ERROR = {"$ref": "#/components/schemas/Error"}
_CHALLENGE = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}, "required": True}}
_RETRY = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}, "required": True}}


def _error(status: int, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": _REASONS[status], "content": {"application/json": {"schema": _ERROR}}}
    if headers:
        out["headers"] = headers
    return out


def _implied_errors(endpoint: Endpoint) -> dict[int, dict[str, Any]]:
    """The errors every /api operation of its kind can answer, so each is listed, not left to `default`:
    a key is needed (401, 429 after repeated failures), any input can be invalid (400), a path id
    can be unknown (404) and a JSON body has a size limit (413, web/http.read_json)."""
    implied: dict[int, dict[str, Any]] = {}
    path_params = "{" in endpoint.path
    if endpoint.params or endpoint.body is not None:
        implied[400] = _error(400)
    if endpoint.auth:
        implied[401] = _error(401, _CHALLENGE)
    if endpoint.admin:
        implied[403] = _error(403)
    if path_params:
        implied[404] = _error(404)
    if endpoint.body is not None:
        implied[413] = _error(413)
    if endpoint.auth:
        implied[429] = _error(429, _RETRY)
    return implied


def _response(status: int, spec: Any) -> dict[str, Any]:
    description = _REASONS.get(status, "Response")
    if spec is None:
        return {"description": description}
    if (
        isinstance(spec, dict)
        and ("content" in spec or "description" in spec)
        and "type" not in spec
        and "$ref" not in spec
    ):
        out = {"description": spec.get("description", description)}
        if "content" in spec:
            out["content"] = spec["content"]
        if "headers" in spec:
            out["headers"] = spec["headers"]
        return out
    return {"description": description, "content": {"application/json": {"schema": spec}}}


def _operation_id(endpoint: Endpoint) -> str:
    words = [part.strip("{}") for part in endpoint.path.strip("/").split("/") if part]
    return endpoint.method.lower() + "".join(w[:1].upper() + w[1:].replace("-", "_") for w in words)
