"""/api/credentials/{service}: set, check and remove the caller's service credentials (never shown).

opds, kosync and hardcover are the calling account's own; google_books is the
server's, and only an admin may touch it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import Forbidden
from bookshelf.services.access.credentials import SERVER_SERVICES
from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import obj, ref

SERVICE = path_param(
    "service",
    "opds, kosync, hardcover or google_books",
    schema={"type": "string", "enum": ["opds", "kosync", "hardcover", "google_books"]},
)
PUT_BODY = {
    "oneOf": [
        obj(
            {
                "username": {"type": "string", "minLength": 1, "maxLength": 200},
                "password": {"type": "string", "minLength": 1, "maxLength": 1024},
            },
            ["username", "password"],
            extra=False,
        ),
        obj({"token": {"type": "string", "minLength": 1, "maxLength": 4096}}, ["token"], extra=False),
        obj({"apiKey": {"type": "string", "minLength": 1, "maxLength": 4096}}, ["apiKey"], extra=False),
    ]
}


def _owner(request: Request) -> str:
    account = account_of(request)
    if request.path_params["service"] in SERVER_SERVICES and not account.is_admin:
        raise Forbidden("Server-wide credentials are an admin's")
    return account.id


async def get_credential(request: Request) -> Response:
    return ok(await runtime(request).credentials.status(_owner(request), request.path_params["service"]))


async def put_credential(request: Request) -> Response:
    service = request.path_params["service"]
    rt = runtime(request)
    owner = _owner(request)
    await rt.credentials.status(owner, service)  # unknown service is 404 before the body is judged
    body = await read_json(request)
    return ok(await rt.credentials.set(owner, service, body))


async def delete_credential(request: Request) -> Response:
    await runtime(request).credentials.delete(_owner(request), request.path_params["service"])
    return ok({"deleted": True})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/credentials/{service}",
        get_credential,
        "Check the caller's service credentials",
        "credentials",
        params=(SERVICE,),
        responses={200: ref("Credential"), 404: ref("Error")},
    ),
    Endpoint(
        "PUT",
        "/api/credentials/{service}",
        put_credential,
        "Set service credentials",
        "credentials",
        params=(SERVICE,),
        body=PUT_BODY,
        description="opds/kosync take username and password (stored as bcrypt; the user name is unique "
        "across accounts, 409 when another account has it); hardcover a token and google_books an apiKey "
        "(sealed). opds, kosync and hardcover are the caller's own; google_books is server-wide (admin only, "
        "403 for a reader). 409 when an environment variable sets it.",
        responses={200: ref("Credential"), 400: ref("Error"), 404: ref("Error"), 409: ref("Error")},
    ),
    Endpoint(
        "DELETE",
        "/api/credentials/{service}",
        delete_credential,
        "Delete service credentials",
        "credentials",
        params=(SERVICE,),
        responses={200: obj({"deleted": {"type": "boolean"}}, ["deleted"]), 404: ref("Error"), 409: ref("Error")},
    ),
]
