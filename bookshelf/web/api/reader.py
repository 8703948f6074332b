"""/api for the web reader: saving its position (as KOReader does) and comic pages for a session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.services.library.page_stream import image_type
from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok, path_uuid, read_json
from bookshelf.web.paging import IMAGE_WIDTH
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import BINARY, nullable, obj, ref


async def put_progress(request: Request) -> Response:
    body = await read_json(request)
    return ok(await runtime(request).reader.save(account_of(request).id, path_uuid(request), body))


async def get_page(request: Request) -> Response:
    raw = request.path_params["n"]
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput("The page number must be a whole number from 0")
    max_width = IMAGE_WIDTH.parse(request) or None
    data = await runtime(request).reader.page(path_uuid(request), path_uuid(request, "fileId"), int(raw), max_width)
    return Response(data, media_type=image_type(data), headers={"Cache-Control": "private, max-age=86400"})


ERRORS = {400: ref("Error"), 404: ref("Error")}
SAVE_BODY = obj(
    {
        "percentage": {"type": "number", "minimum": 0, "maximum": 1},
        "progress": {"type": "string", "description": "KOReader XPointer (EPUB) or page number from 1"},
        "cfi": {"type": "string", "description": "Accepted and not stored: the XPointer is the position"},
        "fileId": {"type": "string", "description": "The file being read (default: the reader's choice)"},
        "device": {"type": "string", "description": "Default 'Web reader'"},
        "deviceId": {"type": "string", "description": "Hexadecimal, stable per browser"},
    },
    ["percentage", "progress"],
)
SAVED = obj(
    {"bookId": {"type": "string"}, "document": {"type": "string"}, "percentage": {"type": "number"},
     "progress": {"type": "string"}, "device": {"type": "string"}, "deviceId": nullable("string"),
     "timestamp": {"type": "integer"}},
    ["bookId", "document", "percentage", "progress", "device", "timestamp"],
)  # fmt: skip

ENDPOINTS = [
    Endpoint("PUT", "/api/library/{id}/progress", put_progress, "Save the web reader's position", "reading",
             params=(path_param("id", "Book id"),), body=SAVE_BODY,
             description="Stored as a KOReader write against the document id (partial MD5) of the file being "
             "read, through the same path as PUT /kosync/syncs/progress, so KOReader pulls it. Never sent on "
             "opening a book, only after the reader moved.", responses={200: SAVED, **ERRORS}),
    Endpoint("GET", "/api/library/{id}/pages/{fileId}/{n}", get_page, "One comic page as an image", "reading",
             params=(path_param("id", "Book id"), path_param("fileId", "File id"),
                     path_param("n", "Page index from 0", fmt=None, schema={"type": "integer", "minimum": 0}),
                     IMAGE_WIDTH.param()),
             description="As the OPDS page stream, for the web reader's session.",
             responses={200: {"content": {"image/jpeg": {"schema": BINARY}, "image/png": {"schema": BINARY},
                                          "image/gif": {"schema": BINARY}}}, **ERRORS}),
]  # fmt: skip
