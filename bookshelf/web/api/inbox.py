"""/api/inbox: uploads, the inbox list, counts, stages, one book, its cover, rescans."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from bookshelf.errors import Forbidden, PayloadTooLarge
from bookshelf.models import INBOX_STATUSES
from bookshelf.services.ingest.inbox import INBOX_SORTS
from bookshelf.services.ingest.uploads import UploadReader, take_uploads
from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, paged, path_uuid, query_choice, query_text
from bookshelf.web.paging import PAGE, limit
from bookshelf.web.routing import Endpoint, path_param, query_param
from bookshelf.web.schemas import (
    BINARY,
    IF_NONE_MATCH,
    IMAGE,
    IMAGE_HEADERS,
    NOT_MODIFIED,
    obj,
    page_of,
    ref,
    with_headers,
)

INBOX_LIMIT = limit(20, 100)

MB = 1024 * 1024
BATCH_FACTOR = 50  # a body may carry up to 50 files of the per-file limit


async def upload(request: Request) -> Response:
    account = account_of(request)
    if not (account.is_admin or account.can_upload):  # before a byte of the body is read
        raise Forbidden("This account may not upload books")
    rt = runtime(request)
    max_mb = int(rt.preferences.get("maxUploadMb"))
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_mb * MB * BATCH_FACTOR:
        raise PayloadTooLarge(f"The upload is larger than {max_mb * BATCH_FACTOR} MB")
    reader = UploadReader(rt.settings.tmp_dir, max_mb * MB, max_mb * MB * BATCH_FACTOR)
    try:
        files = await reader.read(request.headers.get("content-type", ""), request.stream())
        status, body = await take_uploads(rt.ingest, files)
    finally:
        reader.discard()
    return ok(body, status)


async def list_inbox(request: Request) -> Response:
    page = PAGE.parse(request)
    limit = INBOX_LIMIT.parse(request)
    sort = query_choice(request, "sort", INBOX_SORTS, "detected_newest") or "detected_newest"
    query = query_text(request, "q")
    status = query_choice(request, "status", INBOX_STATUSES, None)
    books, total = await runtime(request).inbox.listing(page, limit, query, sort, status)
    return ok(paged([book.to_json() for book in books], page, limit, total))


async def count(request: Request) -> Response:
    by_status = await runtime(request).inbox.count()
    return ok({"count": sum(by_status.values()), "byStatus": by_status})


async def processing(request: Request) -> Response:
    rt = runtime(request)
    stages = await rt.inbox.stages()
    if query_choice(request, "include", ("lookups",), None) != "lookups":
        return ok(stages)
    waits = rt.lookups.snapshot() if rt.lookups is not None else {"books": {}, "providers": {}}
    return ok({"stages": stages, "lookups": waits["books"], "providers": waits["providers"]})


async def get_book(request: Request) -> Response:
    book, candidates = await runtime(request).inbox.with_candidates(path_uuid(request))
    return ok({**book.to_json(), "candidates": [c.to_json() for c in candidates]})


async def cover(request: Request) -> Response:
    thumb = query_choice(request, "size", ("thumb", "full"), "full") == "thumb"
    found = await runtime(request).inbox.cover(path_uuid(request), thumb)
    headers = {"ETag": found.etag, "Cache-Control": "private, max-age=86400"}
    if found.etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return FileResponse(found.path, media_type=found.media_type, headers=headers)


async def rescan(request: Request) -> Response:
    book_id = path_uuid(request)
    job_id = await runtime(request).inbox.rescan(book_id)
    return ok({"bookId": book_id, "jobId": job_id}, 202)


_UPLOADED = {"type": "array", "items": obj({"bookId": {"type": "string"}, "filename": {"type": "string"}})}
_REJECTED = {
    "type": "array",
    "items": obj({"filename": {"type": "string"}, "reason": {"type": "string"}, "message": {"type": "string"}}),
}
_DUPLICATES = {
    "type": "array",
    "items": obj({"bookId": {"type": "string"}, "filename": {"type": "string"},
                  "title": {"type": ["string", "null"], "description": "The title of the book it duplicates"}}),
}  # fmt: skip
UPLOAD_RESULT = obj({"uploaded": _UPLOADED, "rejected": _REJECTED, "duplicates": _DUPLICATES},
                    ["uploaded", "rejected", "duplicates"])  # fmt: skip
UPLOAD_BODY = {
    "content": {
        "multipart/form-data": {
            "schema": obj({"file": {"type": "array", "items": BINARY}}, ["file"]),
        }
    }
}
ID = (path_param("id"),)
STAGES = {
    "type": "object",
    "additionalProperties": {"type": "string", "enum": ["parsing", "fetching_metadata", "organizing"]},
}
LOOKUP_WAIT = obj(
    {
        "waiting": {"type": "array", "items": {"type": "string"}},
        "answered": {"type": "array", "items": {"type": "string"}},
    },
    ["waiting", "answered"],
)
NULLABLE_TEXT = {"type": ["string", "null"]}
PROVIDER_STATE = obj(
    {
        "state": {"type": "string", "enum": ["closed", "open", "half_open"]},
        "waiting": {"type": "integer"},
        "inFlight": {"type": "integer"},
        "asked": {"type": "integer"},
        "lastError": NULLABLE_TEXT,
        "retryAt": NULLABLE_TEXT,
    },
    ["state", "waiting", "inFlight", "asked", "lastError", "retryAt"],
)

ENDPOINTS = [
    Endpoint(
        "POST", "/api/inbox/upload", upload, "Upload book files to inbox", "inbox", body=UPLOAD_BODY,
        description="One or more files in multipart field 'file' (epub, pdf, mobi, azw3, cbz, cbr, judged by "
        "content). Each file may be up to maxUploadMb; larger ones are rejected with reason too_large while "
        "the rest are kept. 201 when any file was taken, 200 when all were duplicates, 400 when all were "
        "rejected, 413 when all were too large or the body exceeds 50 x maxUploadMb. An admin, or a reader "
        "account with canUpload (the books wait for an admin's review); any other reader gets 403.",
        responses={201: UPLOAD_RESULT, 200: UPLOAD_RESULT, 400: ref("Error"), 403: ref("Error"), 413: ref("Error")},
    ),
    Endpoint(
        "GET", "/api/inbox/count", count, "Get inbox count", "inbox",
        responses={200: obj({"count": {"type": "integer"}, "byStatus": obj(
            {s: {"type": "integer"} for s in ("processing", "review", "failed")})}, ["count", "byStatus"])},
    ),
    Endpoint(
        "GET", "/api/inbox/processing", processing, "Inbox processing status", "inbox",
        description="Map of book id to its current pipeline stage (parsing, fetching_metadata, organizing). "
        "A book is in review as soon as its file is read; its metadata lookups run afterwards, per provider. "
        "With include=lookups the answer is {stages: <that map>, lookups: {<bookId>: {waiting: [provider], "
        "answered: [provider]}}, providers: {<name>: {state: closed|open|half_open, waiting, inFlight, asked, "
        "lastError, retryAt}}}: which books still wait for which provider, and each provider's state (open: "
        "not reachable or asked us to wait, asked again at retryAt).",
        params=(query_param("include", {"type": "string", "enum": ["lookups"]},
                            "Also say which books wait for which metadata provider"),),
        responses={200: {"oneOf": [STAGES, obj({"stages": STAGES, "lookups": {
            "type": "object", "additionalProperties": LOOKUP_WAIT}, "providers": {
            "type": "object", "additionalProperties": PROVIDER_STATE}}, ["stages", "lookups", "providers"])]},
            400: ref("Error")},
    ),
    Endpoint(
        "GET", "/api/inbox", list_inbox, "List inbox books", "inbox",
        params=(
            PAGE.param(),
            INBOX_LIMIT.param(),
            query_param("q", {"type": "string", "maxLength": 500}, "Search title, author, series, description"),
            query_param("sort", {"type": "string", "enum": list(INBOX_SORTS), "default": "detected_newest"}),
            query_param("status", {"type": "string", "enum": list(INBOX_STATUSES)}, "Only books in this status"),
        ),
        responses={200: page_of(ref("Book")), 400: ref("Error")},
    ),
    Endpoint(
        "GET", "/api/inbox/{id}", get_book, "Get inbox book", "inbox", params=ID,
        description="A book in processing, review or failed status with its files and metadata candidates.",
        responses={
            200: {"allOf": [ref("Book"), obj({"candidates": {"type": "array", "items": ref("Candidate")}})]},
            400: ref("Error"), 404: ref("Error"),
        },
    ),
    Endpoint(
        "GET", "/api/inbox/{id}/cover", cover, "Get inbox book cover image", "inbox",
        params=(*ID, query_param("size", {"type": "string", "enum": ["thumb", "full"], "default": "full"}),
                IF_NONE_MATCH),
        responses={200: with_headers(IMAGE, IMAGE_HEADERS), 304: NOT_MODIFIED, 400: ref("Error"), 404: ref("Error")},
    ),
    Endpoint(
        "PATCH", "/api/inbox/{id}/rescan", rescan, "Rescan inbox book metadata", "inbox", params=ID,
        description="Parse the file again (replacing the file candidate), delete remote candidates and look "
        "them up again.",
        responses={202: obj({"bookId": {"type": "string"}, "jobId": {"type": "string"}}, ["bookId", "jobId"]),
                   400: ref("Error"), 404: ref("Error"), 409: ref("Error")},
    ),
]  # fmt: skip
