"""/api/library/{id} edits: fields, covers, refetching metadata and (re)organizing files."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput, PayloadTooLarge
from bookshelf.services.storage.coverstore import MAX_COVER_BYTES
from bookshelf.web.api import runtime
from bookshelf.web.api.book_schemas import APPROVE, BOOK_AND_JOB, BOOK_AND_MAYBE_JOB, EDIT, QUEUED, UUID
from bookshelf.web.http import ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import BINARY, obj, ref


async def edit(request: Request) -> Response:
    book, job = await runtime(request).review.edit(path_uuid(request), await read_json(request))
    return ok({"book": book.to_json(), "jobId": job})


async def refetch(request: Request) -> Response:
    book_id = path_uuid(request)
    return ok({"bookId": book_id, "jobId": await runtime(request).review.refetch(book_id)}, 202)


async def apply_metadata(request: Request) -> Response:
    book, job = await runtime(request).review.apply_metadata(path_uuid(request), await read_json(request))
    return ok({"book": book.to_json(), "jobId": job})


async def reorganize(request: Request) -> Response:
    book_id = path_uuid(request)
    return ok({"bookId": book_id, "jobId": await runtime(request).review.reorganize(book_id)}, 202)


async def reorganize_all(request: Request) -> Response:
    return ok({"jobId": await runtime(request).review.reorganize_all()}, 202)


async def put_cover(request: Request) -> Response:
    book_id = path_uuid(request)
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        body = await read_json(request)
        candidate = body.get("candidateId")
        if set(body) != {"candidateId"} or not isinstance(candidate, str):
            raise InvalidInput('JSON body must be {"candidateId": "<id>"}', details=[{"field": "candidateId"}])
        book, job = await runtime(request).review.set_cover(book_id, None, _uuid(candidate))
    else:
        book, job = await runtime(request).review.set_cover(book_id, await _image(request), None)
    return ok({"book": book.to_json(), "jobId": job})


def _uuid(value: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidInput("candidateId must be a UUID", details=[{"field": "candidateId"}]) from None


async def _image(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_COVER_BYTES:
        raise PayloadTooLarge("A cover may be at most 5 MB")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_COVER_BYTES:
            raise PayloadTooLarge("A cover may be at most 5 MB")
    return bytes(data)


ID = path_param("id", "Book id (404 for a book still in the inbox)")
COVER_BODY = {
    "content": {
        "image/jpeg": {"schema": BINARY},
        "image/png": {"schema": BINARY},
        "image/webp": {"schema": BINARY},
        "image/gif": {"schema": BINARY},
        "application/json": {"schema": obj({"candidateId": UUID}, ["candidateId"], extra=False)},
    }
}
ERRORS = {400: ref("Error"), 404: ref("Error")}
ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/library/reorganize",
        reorganize_all,
        "Reorganize the whole library",
        "library",
        description="Re-plans every organized book under the current organizeTemplate as one job with progress; "
        "books whose path and embedded metadata do not change are skipped without touching the disk.",
        responses={202: obj({"jobId": UUID}, ["jobId"])},
    ),
    Endpoint(
        "PATCH",
        "/api/library/{id}",
        edit,
        "Edit a library book",
        "library",
        params=(ID,),
        body=EDIT,
        description="Fields as in the book object; `author` is read-only. Changing a field that lives in the "
        "file or its path queues a re-organize (jobId), otherwise jobId is null.",
        responses={200: BOOK_AND_MAYBE_JOB, **ERRORS},
    ),
    Endpoint(
        "POST",
        "/api/library/{id}/refetch",
        refetch,
        "Refetch metadata candidates",
        "library",
        params=(ID,),
        description="Deletes the provider candidates and asks the providers again, bypassing the cache; "
        "the book stays organized.",
        responses={202: QUEUED, **ERRORS},
    ),
    Endpoint(
        "POST",
        "/api/library/{id}/apply-metadata",
        apply_metadata,
        "Apply candidate metadata",
        "library",
        params=(ID,),
        body=APPROVE,
        description="Body as approve (without mergeInto); applies, then queues a re-organize (move + re-embed).",
        responses={200: BOOK_AND_JOB, **ERRORS, 502: ref("Error")},
    ),
    Endpoint(
        "POST",
        "/api/library/{id}/reorganize",
        reorganize,
        "Reorganize a book",
        "library",
        params=(ID,),
        responses={202: QUEUED, **ERRORS},
    ),
    Endpoint(
        "PUT",
        "/api/library/{id}/cover",
        put_cover,
        "Set a book's cover",
        "library",
        params=(ID,),
        body=COVER_BODY,
        description='An image body (JPEG, PNG, GIF or WebP, at most 5 MB) or {"candidateId"}; the cover is '
        "normalised, its thumbnail rebuilt, and a re-organize re-embeds it into EPUB files.",
        responses={200: BOOK_AND_JOB, **ERRORS, 413: ref("Error"), 502: ref("Error")},
    ),
]

__all__ = ["ENDPOINTS"]
