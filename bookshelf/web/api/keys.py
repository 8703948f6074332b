"""/api/auth: first-run setup and API keys."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import Forbidden, InvalidInput
from bookshelf.web.api import caller_key, runtime
from bookshelf.web.http import account_of, ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param, query_param
from bookshelf.web.schemas import obj, ref

LABEL_BODY = obj({"label": {"type": "string", "minLength": 1, "maxLength": 100}})
SETUP_BODY = obj(
    {
        "label": {"type": "string", "minLength": 1, "maxLength": 100},
        "username": {"type": "string", "minLength": 1, "maxLength": 64},
    }
)


async def setup(request: Request) -> Response:
    body = await read_json(request, optional=True)
    key, raw = await runtime(request).keys.setup(body.get("label"), body.get("username"))
    return ok({"id": key.id, "key": raw, "label": key.label, "createdAt": key.created_at}, 201)


async def _target(request: Request) -> str:
    """Whose keys: the caller's, or with ?userId= (an admin only) that account's."""
    account = account_of(request)
    raw = request.query_params.get("userId")
    if raw is None or raw == "":
        return account.id
    try:
        user_id = str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput("userId must be a UUID", details=[{"field": "userId", "message": "not a UUID"}]) from None
    if user_id != account.id and not account.is_admin:
        raise Forbidden("Only an admin may see another account's keys")
    await runtime(request).accounts.get(user_id)  # 404 for an unknown account
    return user_id


async def list_keys(request: Request) -> Response:
    keys = await runtime(request).keys.list(await _target(request))
    return ok({"keys": [key.to_json() for key in keys]})


async def create_key(request: Request) -> Response:
    body = await read_json(request)
    key, raw = await runtime(request).keys.create(body.get("label"), account_of(request).id)
    return ok({"id": key.id, "key": raw, "label": key.label, "createdAt": key.created_at}, 201)


async def delete_key(request: Request) -> Response:
    key_id = path_uuid(request)
    account = account_of(request)
    # An admin may revoke any key; a reader only their own (another's is 404).
    await runtime(request).keys.delete(key_id, caller_key(request), None if account.is_admin else account.id)
    return ok({"deleted": True, "id": key_id})


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/auth/setup",
        setup,
        "Initial setup",
        "auth",
        auth=False,
        body=SETUP_BODY,
        body_required=False,
        description="Create the first admin account (named admin unless username is given) and its first API "
        "key. Only works while no key exists.",
        responses={201: ref("NewApiKey"), 409: ref("Error")},
    ),
    Endpoint(
        "GET",
        "/api/auth/keys",
        list_keys,
        "List the caller's API keys",
        "auth",
        params=(query_param("userId", {"type": "string", "format": "uuid"}, "another account's keys (admin only)"),),
        responses={
            200: obj({"keys": {"type": "array", "items": ref("ApiKey")}}, ["keys"]),
            400: ref("Error"),
            403: ref("Error"),
            404: ref("Error"),
        },  # fmt: skip
    ),
    Endpoint(
        "POST",
        "/api/auth/keys",
        create_key,
        "Create an API key for the caller",
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
