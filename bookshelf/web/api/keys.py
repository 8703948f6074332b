"""/api/auth: first-run setup and API keys."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import caller_key, runtime
from bookshelf.web.http import ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import obj, ref

LABEL_BODY = obj({"label": {"type": "string", "minLength": 1, "maxLength": 100}})


async def setup(request: Request) -> Response:
    body = await read_json(request, optional=True)
    key, raw = await runtime(request).keys.setup(body.get("label"))
    return ok({"id": key.id, "key": raw, "label": key.label, "createdAt": key.created_at}, 201)


async def list_keys(request: Request) -> Response:
    keys = await runtime(request).keys.list()
    return ok({"keys": [key.to_json() for key in keys]})


async def create_key(request: Request) -> Response:
    body = await read_json(request)
    key, raw = await runtime(request).keys.create(body.get("label"))
    return ok({"id": key.id, "key": raw, "label": key.label, "createdAt": key.created_at}, 201)


async def delete_key(request: Request) -> Response:
    key_id = path_uuid(request)
    await runtime(request).keys.delete(key_id, caller_key(request))
    return ok({"deleted": True, "id": key_id})


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/auth/setup",
        setup,
        "Initial setup",
        "auth",
        auth=False,
        body=LABEL_BODY,
        body_required=False,
        description="Create the first API key. Only works while no key exists.",
        responses={201: ref("NewApiKey"), 409: ref("Error")},
    ),
    Endpoint(
        "GET",
        "/api/auth/keys",
        list_keys,
        "List API keys",
        "auth",
        responses={200: obj({"keys": {"type": "array", "items": ref("ApiKey")}}, ["keys"])},
    ),
    Endpoint(
        "POST",
        "/api/auth/keys",
        create_key,
        "Create API key",
        "auth",
        body=obj({"label": {"type": "string", "minLength": 1, "maxLength": 100}}, ["label"]),
        responses={201: ref("NewApiKey"), 400: ref("Error")},
    ),
    Endpoint(
        "DELETE",
        "/api/auth/keys/{id}",
        delete_key,
        "Delete API key",
        "auth",
        params=(path_param("id"),),
        responses={200: ref("Deleted"), 404: ref("Error"), 409: ref("Error")},
    ),
]
