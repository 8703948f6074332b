"""/api/books/{id}: metadata candidates, their covers, and approving a book in review."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.api.book_schemas import APPROVE, BOOK_AND_JOB, CANDIDATES
from bookshelf.web.http import ok, path_uuid, read_json
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import IMAGE, ref


async def get_candidates(request: Request) -> Response:
    return ok(await runtime(request).review.candidates(path_uuid(request)))


async def get_candidate_cover(request: Request) -> Response:
    data, media_type = await runtime(request).review.candidate_cover(
        path_uuid(request), path_uuid(request, "candidateId")
    )
    # The candidate id names one remote image for good: safe to cache privately for a day.
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=86400"})


async def approve(request: Request) -> Response:
    book, job = await runtime(request).review.approve(path_uuid(request), await read_json(request))
    return ok({"book": book.to_json(), "jobId": job})


ID = path_param("id", "Book id")
ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/books/{id}/candidates",
        get_candidates,
        "Get metadata candidates",
        "books",
        params=(ID,),
        description="The book, its candidates best first (source `file` is what the file says), and `lookup`: "
        "when providers were last asked and, per provider, whether it answered, was skipped (no credentials) "
        "or failed, with a distinct reason (unauthorized, missing_scope, quota, graphql_error, timeout ...).",
        responses={200: CANDIDATES, 400: ref("Error"), 404: ref("Error")},
    ),
    Endpoint(
        "GET",
        "/api/books/{id}/candidates/{candidateId}/cover",
        get_candidate_cover,
        "Get a candidate's cover",
        "books",
        params=(ID, path_param("candidateId", "Candidate id")),
        description="Fetched by the server from that provider's image hosts only (HTTPS, at most 5 MB, "
        "JPEG/PNG/GIF/WebP) and cached on disk; the page never loads another host.",
        responses={200: IMAGE, 400: ref("Error"), 404: ref("Error"), 502: ref("Error")},
    ),
    Endpoint(
        "POST",
        "/api/books/{id}/approve",
        approve,
        "Approve book metadata",
        "books",
        params=(ID,),
        body=APPROVE,
        description="Each field may be selected from any candidate of this book (`selections`, field -> "
        "candidate id; `cover` too) or typed (`overrides`); unselected fields keep the file's value. The book "
        "becomes `organized` and an organize job is queued. With `mergeInto` this book's files join that "
        "library book and this book is removed.",
        responses={200: BOOK_AND_JOB, 400: ref("Error"), 404: ref("Error"), 409: ref("Error"), 502: ref("Error")},
    ),
]
