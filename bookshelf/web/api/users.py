"""/api/me and /api/users: the calling account, and the admin's management of accounts and their keys."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import obj, ref

USERNAME = {"type": "string", "minLength": 1, "maxLength": 64, "description": "any script; unique case-insensitively"}
PASSWORD = {"type": "string", "minLength": 8, "description": "8 characters to 72 UTF-8 bytes (bcrypt)"}
ROLE = {"type": "string", "enum": ["admin", "reader"]}
CREATE_BODY = obj(
    {"username": USERNAME, "password": PASSWORD, "role": ROLE, "canUpload": {"type": "boolean"}},
    ["username", "password", "role"],
    extra=False,
)
PATCH_BODY = obj(
    {"username": USERNAME, "password": PASSWORD, "role": ROLE, "canUpload": {"type": "boolean"}}, extra=False
)
LABEL_BODY = obj({"label": {"type": "string", "minLength": 1, "maxLength": 100}}, ["label"])
USER_ID = path_param("id", "account id")


async def get_me(request: Request) -> Response:
    return ok(account_of(request).to_json())


async def list_users(request: Request) -> Response:
    return ok({"users": [account.to_json() for account in await runtime(request).accounts.list()]})


async def create_user(request: Request) -> Response:
    body = await read_json(request)
    return ok((await runtime(request).accounts.create(body)).to_json(), 201)


async def get_user(request: Request) -> Response:
    return ok((await runtime(request).accounts.get(path_uuid(request))).to_json())


async def patch_user(request: Request) -> Response:
    user_id = path_uuid(request)
    body = await read_json(request)
    return ok((await runtime(request).accounts.update(user_id, body)).to_json())


async def delete_user(request: Request) -> Response:
    user_id = path_uuid(request)
    await runtime(request).accounts.delete(user_id, account_of(request))
    return ok({"deleted": True, "id": user_id})


async def create_user_key(request: Request) -> Response:
    user_id = path_uuid(request)
    rt = runtime(request)
    await rt.accounts.get(user_id)
    body = await read_json(request)
    key, raw = await rt.keys.create(body.get("label"), user_id)
    return ok({"id": key.id, "key": raw, "label": key.label, "createdAt": key.created_at}, 201)


ACCOUNT = ref("Account")
ENDPOINTS = [
    Endpoint("GET", "/api/me", get_me, "The calling account", "users", responses={200: ACCOUNT}),
    Endpoint("GET", "/api/users", list_users, "List accounts", "users", admin=True,
             responses={200: obj({"users": {"type": "array", "items": ACCOUNT}}, ["users"])}),
    Endpoint("POST", "/api/users", create_user, "Create an account", "users", admin=True, body=CREATE_BODY,
             description="canUpload lets a reader add books to the inbox (an admin reviews them).",
             responses={201: ACCOUNT, 409: ref("Error")}),
    Endpoint("GET", "/api/users/{id}", get_user, "One account", "users", admin=True, params=(USER_ID,),
             responses={200: ACCOUNT}),
    Endpoint("PATCH", "/api/users/{id}", patch_user, "Change an account", "users", admin=True, params=(USER_ID,),
             body=PATCH_BODY, description="409 when the last admin would become a reader, or the name is taken.",
             responses={200: ACCOUNT, 409: ref("Error")}),
    Endpoint("DELETE", "/api/users/{id}", delete_user, "Delete an account and everything that is its own",
             "users", admin=True, params=(USER_ID,),
             description="Its keys, sessions, credentials, progress, statistics and Hardcover data go with it. "
             "409 for the last admin or the caller's own account.",
             responses={200: ref("Deleted"), 409: ref("Error")}),
    Endpoint("POST", "/api/users/{id}/keys", create_user_key, "Create an API key for an account", "users",
             admin=True, params=(USER_ID,), body=LABEL_BODY, description="The raw key is shown once.",
             responses={201: ref("NewApiKey")}),
]  # fmt: skip
