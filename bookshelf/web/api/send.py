"""/api/library/{id}/send and /sends: mail a book to one of your devices, and how those sends went."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.web.api import runtime
from bookshelf.web.api.devices import owner_of
from bookshelf.web.http import ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import TIMESTAMP, nullable, obj, ref

STATE = {"type": "string", "enum": ["waiting", "active", "completed", "failed", "delayed", "paused"]}
SENDING = obj(
    {
        "jobId": {"type": "string"},
        "deviceId": {"type": "string"},
        "deviceName": nullable("string"),
        "state": STATE,
        "attempts": {"type": "integer"},
        "error": nullable("string"),
        "createdAt": TIMESTAMP,
        "finishedAt": nullable("string"),
    },
    ["jobId", "deviceId", "deviceName", "state", "attempts", "error", "createdAt", "finishedAt"],
)


async def send(request: Request) -> Response:
    book_id = path_uuid(request)
    body = await read_json(request)
    unknown = sorted(set(body) - {"deviceId"})
    if unknown:
        raise InvalidInput("Unknown fields", details=[{"field": n, "message": "unknown field"} for n in unknown])
    try:
        device_id = str(uuid.UUID(body.get("deviceId")))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput("deviceId must be a device id", details=[{"field": "deviceId"}]) from None
    job = await runtime(request).sender.request(owner_of(request), book_id, device_id)
    return ok({"jobId": job.id, "bookId": book_id, "deviceId": device_id, "state": job.state}, 202)


async def sendings(request: Request) -> Response:
    book_id = path_uuid(request)
    found = await runtime(request).sender.sendings(owner_of(request), book_id)
    return ok({"sends": [s.to_json() for s in found]})


async def retry(request: Request) -> Response:
    book_id = path_uuid(request)
    job_id = path_uuid(request, "jobId")
    job = await runtime(request).sender.retry(owner_of(request), book_id, job_id)
    return ok({"jobId": job.id, "bookId": book_id, "deviceId": str(job.args.get("device_id")), "state": job.state})


QUEUED = obj(
    {"jobId": {"type": "string"}, "bookId": {"type": "string"}, "deviceId": {"type": "string"}, "state": STATE},
    ["jobId", "bookId", "deviceId", "state"],
)

ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/library/{id}/send",
        send,
        "Send a book to a device",
        "devices",
        params=(path_param("id", "Book id"),),
        body=obj({"deviceId": {"type": "string", "format": "uuid"}}, ["deviceId"], extra=False),
        description="Queues a `send` job that mails the book's file in the device's format (no conversion). "
        "409 with the reason before anything is sent when no mail server is set up, the book has no file in "
        "that format (MOBI and AZW3 for a Kindle), or the file is over sendMaxMb. A send of the same book to "
        "the same device still waiting is answered instead of a second one.",
        responses={
            202: QUEUED,
            400: ref("Error"),
            404: ref("Error"),
            409: ref("Error"),
        },
    ),
    Endpoint(
        "GET",
        "/api/library/{id}/sends",
        sendings,
        "Sends of a book",
        "devices",
        params=(path_param("id", "Book id"),),
        description="Your send jobs of this book, newest first: device, state and the mail server's words "
        "when one failed (retry with POST /api/library/{id}/sends/{jobId}/retry).",
        responses={
            200: obj({"sends": {"type": "array", "items": SENDING}}, ["sends"]),
            400: ref("Error"),
            404: ref("Error"),
        },
    ),
    Endpoint(
        "POST",
        "/api/library/{id}/sends/{jobId}/retry",
        retry,
        "Retry a failed send",
        "devices",
        params=(path_param("id", "Book id"), path_param("jobId", "The send's job id")),
        description="Queue one of your failed sends of this book again under the same job id. 404 for a send "
        "that is not yours, 409 unless it failed.",
        responses={200: QUEUED, 400: ref("Error"), 404: ref("Error"), 409: ref("Error")},
    ),
]
