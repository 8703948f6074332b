"""/api/library/{id}/files: adding a file to a library book and moving one to the trash."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput, PayloadTooLarge
from bookshelf.services.ingest.uploads import UploadReader
from bookshelf.web.api import runtime
from bookshelf.web.api.book_schemas import BOOK
from bookshelf.web.http import ok, path_uuid
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import BINARY, obj, ref

MB = 1024 * 1024


async def add_file(request: Request) -> Response:
    rt = runtime(request)
    book_id = path_uuid(request)
    max_mb = int(rt.preferences.get("maxUploadMb"))
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_mb * MB + MB:  # one file plus the multipart framing
        raise PayloadTooLarge(f"A file may be at most {max_mb} MB")
    reader = UploadReader(rt.settings.tmp_dir, max_mb * MB, max_mb * MB + MB)
    try:
        files = await reader.read(request.headers.get("content-type", ""), request.stream())
        if len(files) != 1:
            raise InvalidInput("Send exactly one file in multipart field 'file'")
        received = files[0]
        if received.path is None:
            if received.reason == "too_large":
                raise PayloadTooLarge(received.message or "The file is too large")
            raise InvalidInput(received.message or "The file was not accepted", details=[{"reason": received.reason}])
        book, file, job = await rt.book_files.add(book_id, received.path, received.filename)
    finally:
        reader.discard()
    return ok({"book": book.to_json(), "file": file.to_json(), "jobId": job}, 201)


async def delete_file(request: Request) -> Response:
    book_id, file_id = path_uuid(request), path_uuid(request, "fileId")
    trash_id = await runtime(request).removal.delete_file(book_id, file_id)
    return ok({"deleted": True, "id": file_id, "trashId": trash_id})


_TEXT = {"type": "string"}
FILE = obj({"id": {"type": "string", "format": "uuid"}, "format": _TEXT, "filename": _TEXT,
            "size": {"type": "integer"}, "koreaderHash": _TEXT, "addedAt": _TEXT})  # fmt: skip
ERRORS = {400: ref("Error"), 404: ref("Error"), 409: ref("Error")}

ENDPOINTS = [
    Endpoint(
        "POST", "/api/library/{id}/files", add_file, "Add a file to a book", "library",
        params=(path_param("id"),),
        body={"content": {"multipart/form-data": {"schema": obj({"file": BINARY}, ["file"])}}},
        description="One file in multipart field 'file' (epub, pdf, mobi, azw3, cbz, cbr, judged by content, at "
        "most maxUploadMb). It joins the book and is organized next to its other files (jobId). 409 when the "
        "same bytes are already in the library, with the owning bookId in error.details.",
        responses={201: obj({"book": BOOK, "file": FILE, "jobId": {"type": "string", "format": "uuid"}},
                            ["book", "file", "jobId"]), **ERRORS, 413: ref("Error")},
    ),
    Endpoint(
        "DELETE", "/api/library/{id}/files/{fileId}", delete_file, "Move a book's file to the trash", "library",
        params=(path_param("id"), path_param("fileId")),
        description="The file goes to the trash as an entry of its own (restorable); the book keeps its other "
        "files. 409 for the book's last file: delete the book instead.",
        responses={200: obj({"deleted": {"type": "boolean"}, "id": {"type": "string", "format": "uuid"},
                             "trashId": {"type": "string", "format": "uuid"}}, ["deleted", "id", "trashId"]),
                   **ERRORS},
    ),
]  # fmt: skip
