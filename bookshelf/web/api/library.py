"""/api/library (read side): list, facets, one book, its cover and its files."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import Response

from bookshelf.models import MEDIA_TYPES, BookFilter
from bookshelf.services.library.service import LIBRARY_SORTS, RELEVANCE
from bookshelf.web.api import runtime
from bookshelf.web.download import download_response, media_type_for
from bookshelf.web.http import ok, paged, path_uuid, query_choice, query_text
from bookshelf.web.paging import PAGE, limit
from bookshelf.web.routing import Endpoint, path_param, query_param
from bookshelf.web.schemas import (
    BINARY,
    FILE_HEADERS,
    IF_NONE_MATCH,
    IMAGE_HEADERS,
    NOT_MODIFIED,
    PARTIAL_HEADERS,
    RANGE_PARAMS,
    UNSATISFIABLE_HEADERS,
    obj,
    page_of,
    ref,
    with_headers,
)

LIMIT = limit(20, 100)
FACET_LIMIT = limit(50, 500, "facetLimit")
MAX_QUERY = 500
FACET_NAMES = ("authors", "genres", "series", "languages", "formats")
_ONE_YEAR = 31_536_000


def _filter(request: Request) -> BookFilter:
    fmt = query_choice(request, "format", tuple(MEDIA_TYPES), None)
    return BookFilter(
        statuses=("organized",),
        author=query_text(request, "author"),
        genre=query_text(request, "genre"),
        series=query_text(request, "series"),
        language=query_text(request, "language"),
        format=fmt,
    )


async def list_library(request: Request) -> Response:
    page = PAGE.parse(request)
    limit = LIMIT.parse(request)
    flt = _filter(request)
    query = query_text(request, "q", MAX_QUERY)
    sort = query_choice(request, "sort", (*LIBRARY_SORTS, RELEVANCE), None)
    books, total = await runtime(request).library.list_books(flt, query, sort, limit, (page - 1) * limit)
    return ok(paged([b.to_json() for b in books], page, limit, total))


async def library_facets(request: Request) -> Response:
    flt = _filter(request)
    query = query_text(request, "q", MAX_QUERY)
    limit = FACET_LIMIT.parse(request)
    return ok(await runtime(request).library.facets(flt, query, limit))


async def get_book(request: Request) -> Response:
    book = await runtime(request).library.get(path_uuid(request))
    return ok(book.to_json())


async def get_cover(request: Request) -> Response:
    thumb = query_choice(request, "size", ("thumb", "full"), "full") == "thumb"
    cover = await runtime(request).library.cover(path_uuid(request), thumb)
    etag = f'"{cover.sha256}{"-thumb" if cover.thumb else ""}"'
    version = request.query_params.get("v")
    # A ?v= naming this very cover can be cached forever: a new cover gets a new URL.
    immutable = bool(version) and cover.sha256.startswith(version or "-")
    headers = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={_ONE_YEAR}, immutable" if immutable else "private, no-cache",
    }
    if etag in [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    data = await anyio.to_thread.run_sync(cover.path.read_bytes)
    return Response(data, media_type="image/jpeg", headers=headers)


async def download(request: Request) -> Response:
    book_id = path_uuid(request)
    file_id = path_uuid(request, "fileId")
    file, path, ascii_name = await runtime(request).library.download(book_id, file_id)
    return download_response(request, path, file.filename, media_type_for(file.format), ascii_name)


_STRING = {"type": "string", "maxLength": 500}
FILTER_PARAMS = (
    query_param("author", _STRING, "Author name contains this (case-insensitive)."),
    query_param("genre", _STRING, "Exact genre, case-insensitive."),
    query_param("series", _STRING, "Exact series name, case-insensitive."),
    query_param("language", _STRING, "Language code, case-insensitive (en, de...)."),
    query_param("format", {"type": "string", "enum": list(MEDIA_TYPES)}, "Books having a file of this format."),
    query_param(
        "q",
        {"type": "string", "maxLength": MAX_QUERY},
        "Words matched against title, authors, series and description; case and diacritics folded in every "
        "script, the last word as a prefix, typos forgiven (4+ letters one, 8+ two). Exact matches rank above "
        "corrected ones. When no book has every word, words that match nothing are dropped, then each other "
        "word (the rightmost first); books with more of the words rank first.",
    ),
)
FACET_VALUE = obj({"name": {"type": "string"}, "count": {"type": "integer"}}, ["name", "count"])
FACETS = obj(
    {
        **{name: {"type": "array", "items": FACET_VALUE} for name in FACET_NAMES},
        "totals": obj(
            {"books": {"type": "integer"}, **{name: {"type": "integer"} for name in FACET_NAMES}},
            ["books", *FACET_NAMES],
        ),
    },
    [*FACET_NAMES, "totals"],
)
ERROR = ref("Error")
FILE_TYPES = {"content": {media: {"schema": BINARY} for media in MEDIA_TYPES.values()}}
JPEG = {"content": {"image/jpeg": {"schema": BINARY}}}

ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/library",
        list_library,
        "List library books",
        "library",
        params=(
            PAGE.param(),
            LIMIT.param(),
            *FILTER_PARAMS,
            query_param(
                "sort",
                {"type": "string", "enum": [*LIBRARY_SORTS, RELEVANCE]},
                "Default title_asc; with q and no sort, relevance.",
            ),
        ),
        description="Organized books, paginated. A limit above 100 is 400; a page past the end is empty.",
        responses={200: page_of(ref("Book")), 400: ERROR},
    ),
    Endpoint(
        "GET",
        "/api/library/facets",
        library_facets,
        "Library filter facets",
        "library",
        params=(
            *FILTER_PARAMS,
            FACET_LIMIT.param(),
        ),
        description="Counts within the same filters as /api/library. Each facet lists its top facetLimit values "
        "by book count (ties by name); totals gives the number of distinct values of each facet and of books.",
        responses={200: FACETS, 400: ERROR},
    ),
    Endpoint(
        "GET",
        "/api/library/{id}",
        get_book,
        "Get library book",
        "library",
        params=(path_param("id"),),
        description="An organized book with its files; 404 for inbox books.",
        responses={200: ref("Book"), 400: ERROR, 404: ERROR},
    ),
    Endpoint(
        "GET",
        "/api/library/{id}/cover",
        get_cover,
        "Get book cover image",
        "library",
        params=(
            path_param("id"),
            query_param("size", {"type": "string", "enum": ["full", "thumb"], "default": "full"}),
            query_param("v", {"type": "string"}, "Cover version (sha256 prefix); makes the answer immutable."),
            IF_NONE_MATCH,
        ),
        description="JPEG with an ETag; 304 on a matching If-None-Match.",
        responses={200: with_headers(JPEG, IMAGE_HEADERS), 304: NOT_MODIFIED, 400: ERROR, 404: ERROR},
    ),
    Endpoint(
        "GET",
        "/api/library/{id}/download/{fileId}",
        download,
        "Download book file",
        "library",
        params=(path_param("id"), path_param("fileId"), *RANGE_PARAMS),
        description="The file, streamed with the format's media type and an RFC 6266 Content-Disposition "
        "(ASCII filename and UTF-8 filename*). One byte range is honoured (206 with Content-Range); a range "
        "past the end is 416. 404 when the file belongs to another book.",
        responses={
            200: with_headers(FILE_TYPES, FILE_HEADERS),
            206: with_headers(FILE_TYPES, PARTIAL_HEADERS),
            304: NOT_MODIFIED,
            400: ERROR,
            404: ERROR,
            416: {"content": {"application/json": {"schema": ERROR}}, "headers": UNSATISFIABLE_HEADERS},
        },
    ),
]
