"""/kosync: KOReader's progress sync protocol, answered as the official koreader-sync-server does.

KOSYNC.md is the contract: Gin-style error bodies ``{"code", "message"}``, JSON
on every response (KOReader ignores bodies of any other type), integer Unix
timestamps, ``200 {}`` for an unknown document, and never a redirect.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import BookshelfError
from bookshelf.models import Progress
from bookshelf.web.api import runtime
from bookshelf.web.http import JSON
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import obj

MAX_BODY_BYTES = 64 * 1024
MAX_DOCUMENT_CHARS = 2048
# Lua's tonumber() on a decimal string: what the official server accepts as a percentage.
_NUMERIC = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


class KosyncError(BookshelfError):
    """A protocol error with the official server's numeric code."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers=headers)
        self.status = status
        self.kosync_code = code


def unauthorized() -> KosyncError:
    return KosyncError(401, 2001, "Unauthorized")


# Errors raised outside this module (no route, wrong method, too large, a bug),
# given codes in the same shape; 2000 is the official "Unknown server error."
_GENERIC = {404: (404, "Not found."), 405: (405, "Method not allowed."), 413: (413, "Request body is too large.")}


def error_response(exc: BookshelfError) -> Response:
    if isinstance(exc, KosyncError):
        status, code, message = exc.status, exc.kosync_code, exc.message
    elif exc.status in _GENERIC:
        status, (code, message) = exc.status, _GENERIC[exc.status]
    else:
        status, code, message = 502, 2000, "Unknown server error."
    return JSON({"code": code, "message": message}, status_code=status, headers=exc.headers)


# -- request parsing -------------------------------------------------------------------
async def _body(request: Request) -> dict[str, Any]:
    """The JSON body, judged as Gin does before routing: 400/103 unparsable, 400/104 not an object."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise KosyncError(413, 413, "Request body is too large.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise KosyncError(413, 413, "Request body is too large.")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KosyncError(400, 103, "Could not parse JSON in body.") from None
    if not isinstance(value, dict):
        raise KosyncError(400, 104, "Body should be a JSON hash.")
    return value


async def _authorize(request: Request) -> str:
    """x-auth-user / x-auth-key against the accounts' kosync credentials; the account id, or 401/2001."""
    user = request.headers.get("x-auth-user", "")
    key = request.headers.get("x-auth-key", "")
    if not user or not key:
        raise unauthorized()
    try:
        # Starlette decodes header bytes as latin-1; KOReader sends raw UTF-8.
        user = user.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        raise unauthorized() from None
    user_id = await runtime(request).credentials.verify_password("kosync", user, key)
    if user_id is None:
        raise unauthorized()
    return user_id


def _percentage(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _NUMERIC.fullmatch(value):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """A present field as a string (Lua stores numbers by tostring); None if missing or unusable."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _document(value: Any) -> str:
    """A document id: a non-empty string without ':' (official), of bounded length; else 403/2004."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_DOCUMENT_CHARS or ":" in value:
        raise KosyncError(403, 2004, "Field 'document' not provided.")
    return value


def parse_update(body: dict[str, Any]) -> Progress:
    """A PUT body as a Progress, in the official order: document (403/2004), then fields (403/2003)."""
    document = _document(body.get("document"))
    percentage = _percentage(body.get("percentage"))
    progress = _text(body.get("progress"))
    device = _text(body.get("device"))
    if percentage is None or progress is None or device is None:
        raise KosyncError(403, 2003, "Invalid request")
    device_id = body.get("device_id")
    metadata = body.get("metadata")
    return Progress(
        document=document,
        device=device,
        percentage=percentage,
        progress=progress,
        device_id=device_id if isinstance(device_id, str) and device_id else None,
        metadata={k: v for k, v in metadata.items() if isinstance(v, (str, int, float))}
        if isinstance(metadata, dict)
        else None,
    )


# -- handlers --------------------------------------------------------------------------
async def healthcheck(request: Request) -> Response:
    return JSON({"state": "OK"})


async def create_user(request: Request) -> Response:
    # Registration is disabled: accounts and their KOReader credentials are made in bookshelf.
    raise KosyncError(402, 2005, "User registration is disabled.")


async def auth_user(request: Request) -> Response:
    await _authorize(request)
    return JSON({"authorized": "OK"})


async def put_progress(request: Request) -> Response:
    body = await _body(request)
    user_id = await _authorize(request)
    update = parse_update(body)
    timestamp = await runtime(request).reading.record(user_id, update)
    return JSON({"document": update.document, "timestamp": timestamp})


async def get_progress(request: Request) -> Response:
    user_id = await _authorize(request)
    document = _document(request.path_params["document"])
    found = await runtime(request).reading.latest(user_id, document)
    return JSON(found.to_kosync() if found else {})


# -- spec ------------------------------------------------------------------------------
ERROR = obj({"code": {"type": "integer"}, "message": {"type": "string"}}, ["code", "message"])
AUTH_HEADERS = (
    {"name": "x-auth-user", "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": "x-auth-key", "in": "header", "required": True, "description": "md5 hex of the password",
     "schema": {"type": "string"}},
)  # fmt: skip
POSITION = {
    "document": {"type": "string", "description": "KOReader partial MD5 of the file, or MD5 of its name"},
    "percentage": {"type": ["number", "string"], "description": "0..1"},
    "progress": {"type": "string", "description": "XPointer or page number"},
    "device": {"type": "string"},
    "device_id": {"type": "string"},
}
UPDATE_BODY = obj(
    {**POSITION, "metadata": obj({"filename": {"type": "string"}, "title": {"type": "string"},
                                  "authors": {"type": "string"}})},
    ["document", "percentage", "progress", "device"],
)  # fmt: skip
PROGRESS = obj({**POSITION, "percentage": {"type": "number"}, "timestamp": {"type": "integer"}})
AUTH_ERRORS = {401: ERROR}
BODY_ERRORS = {400: ERROR, 403: ERROR, 413: ERROR}
DOCUMENT = path_param("document", "KOReader document id", fmt=None)

ENDPOINTS = [
    Endpoint("GET", "/kosync/healthcheck", healthcheck, "KOReader sync health check", "kosync", auth=False,
             responses={200: obj({"state": {"type": "string", "enum": ["OK"]}}, ["state"])}),
    Endpoint("POST", "/kosync/users/create", create_user, "Register a KOReader sync user (always refused)",
             "kosync", auth=False, body=obj({"username": {"type": "string"}, "password": {"type": "string"}}),
             description="Registration is disabled: 402 with code 2005 for every body. Set the kosync "
             "credential with PUT /api/credentials/kosync.", responses={402: ERROR}),
    Endpoint("GET", "/kosync/users/auth", auth_user, "Check KOReader sync credentials", "kosync",
             params=AUTH_HEADERS, responses={200: obj({"authorized": {"type": "string"}}, ["authorized"]),
                                             **AUTH_ERRORS}),
    Endpoint("POST", "/kosync/users/auth", auth_user, "Check KOReader sync credentials (as GET; body ignored)",
             "kosync", params=AUTH_HEADERS, responses={200: obj({"authorized": {"type": "string"}}, ["authorized"]),
                                                       **AUTH_ERRORS}),
    Endpoint("PUT", "/kosync/syncs/progress", put_progress, "Save a reading position", "kosync",
             params=AUTH_HEADERS, body=UPDATE_BODY,
             description="Upserts on (document, device_id), or device when device_id is absent, and appends to "
             "the reading history. Errors: 400 code 103/104 (body), 401 code 2001, 403 code 2004 (document) or "
             "2003 (percentage, progress or device).",
             responses={200: obj({"document": {"type": "string"}, "timestamp": {"type": "integer"}},
                                 ["document", "timestamp"]), **AUTH_ERRORS, **BODY_ERRORS}),
    Endpoint("GET", "/kosync/syncs/progress/{document}", get_progress, "Latest reading position of a document",
             "kosync", params=(DOCUMENT, *AUTH_HEADERS),
             description="The account's last committed write (commit order, not the clock) across devices, even "
             "when behind another device. For a document of a known book, the latest over all of that book's "
             "document ids (every file version), with document set to the id asked for. 200 {} when the "
             "document is unknown.", responses={200: PROGRESS, **AUTH_ERRORS, 403: ERROR}),
]  # fmt: skip
