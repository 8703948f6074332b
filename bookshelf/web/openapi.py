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
        op["requestBody"] = {"required": True, "content": content}
    if endpoint.path.startswith("/api"):
        op["security"] = [{"bearer": []}, {"apiKey": []}] if endpoint.auth else []
    elif endpoint.path.startswith("/opds"):
        op["security"] = [{"basic": []}]
    for status, spec in endpoint.responses.items():
        op["responses"][str(status)] = _response(status, spec)
    if endpoint.path.startswith("/api"):
        # Every /api operation can fail with the one JSON error shape.
        op["responses"]["default"] = {
            "description": "Error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return op


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
