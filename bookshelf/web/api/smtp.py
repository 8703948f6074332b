"""/api/credentials/smtp: the outgoing mail server (password sealed, never shown) and its test button."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.services.mail.addresses import address
from bookshelf.services.mail.transport import SendFailed
from bookshelf.web.api import runtime
from bookshelf.web.http import ok, read_json
from bookshelf.web.routing import Endpoint
from bookshelf.web.schemas import nullable, obj, ref

SECURITY = {"type": "string", "enum": ["starttls", "tls", "none"]}
STATUS = obj(
    {
        "service": {"type": "string", "const": "smtp"},
        "configured": {"type": "boolean"},
        "source": {"type": "string", "enum": ["settings", "environment"]},
        "host": {"type": "string"},
        "port": {"type": "integer"},
        "security": SECURITY,
        "username": nullable("string"),
        "from": {"type": "string"},
        "passwordSet": {"type": "boolean"},
        "createdAt": nullable("string"),
        "updatedAt": nullable("string"),
    },
    ["service", "configured"],
)
PUT_BODY = obj(
    {
        "host": {"type": "string", "minLength": 1, "maxLength": 253},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "security": {**SECURITY, "default": "starttls"},
        "username": {"type": "string", "maxLength": 200},
        "password": {"type": "string", "minLength": 1, "maxLength": 1024},
        "from": {"type": "string", "format": "email", "maxLength": 254},
    },
    ["host", "from"],
    extra=False,
)


async def get_smtp(request: Request) -> Response:
    return ok(await runtime(request).mail_server.status())


async def put_smtp(request: Request) -> Response:
    return ok(await runtime(request).mail_server.set(await read_json(request)))


async def delete_smtp(request: Request) -> Response:
    return ok({"deleted": await runtime(request).mail_server.delete()})


async def test_smtp(request: Request) -> Response:
    body = await read_json(request)
    to = address(body, "to")
    # The test ran either way: its outcome is the answer (as /api/hardcover/status reports a
    # refused token), so a mail server saying no is 200 with its words, not a 5xx of ours.
    try:
        await runtime(request).sender.send_test(to)
    except SendFailed as exc:
        return ok({"sent": False, "to": to, "error": {"reason": exc.reason, "transient": exc.transient,
                                                      "message": exc.message}})  # fmt: skip
    return ok({"sent": True, "to": to})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/credentials/smtp",
        get_smtp,
        "Mail server settings",
        "credentials",
        description="Everything but the password (passwordSet says whether one is stored).",
        responses={200: STATUS},
    ),
    Endpoint(
        "PUT",
        "/api/credentials/smtp",
        put_smtp,
        "Set the mail server",
        "credentials",
        body=PUT_BODY,
        description="port defaults to 587 (starttls), 465 (tls) or 25 (none). The password is sealed; "
        "leaving it out keeps the stored one. 409 when BOOKSHELF_SMTP_HOST sets the server.",
        responses={200: STATUS, 400: ref("Error"), 409: ref("Error")},
    ),
    Endpoint(
        "DELETE",
        "/api/credentials/smtp",
        delete_smtp,
        "Remove the mail server",
        "credentials",
        description="deleted is false when no server was stored. 409 when BOOKSHELF_SMTP_HOST sets the server.",
        responses={200: obj({"deleted": {"type": "boolean"}}, ["deleted"]), 409: ref("Error")},
    ),
    Endpoint(
        "POST",
        "/api/credentials/smtp/test",
        test_smtp,
        "Send a test message",
        "credentials",
        body=obj({"to": {"type": "string", "format": "email", "maxLength": 254}}, ["to"], extra=False),
        description="Sends a short message now. sent is false when it failed, and error.message has the mail "
        "server's own words (or what the connection did); reason is auth, recipient, sender, too_large, refused, "
        "tls, timeout, connect, dns or disconnected. 409 when no mail server is set up.",
        responses={
            200: obj(
                {
                    "sent": {"type": "boolean"},
                    "to": {"type": "string"},
                    "error": obj(
                        {"reason": {"type": "string"}, "transient": {"type": "boolean"}, "message": {"type": "string"}},
                        ["reason", "transient", "message"],
                    ),
                },
                ["sent", "to"],
            ),
            400: ref("Error"),
            409: ref("Error"),
        },
    ),
]
