"""/api/trash: deleted books and files, restored where they were or purged for good."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.api.book_schemas import BOOK
from bookshelf.web.http import ok, paged, path_uuid
from bookshelf.web.paging import PAGE, limit
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import TIMESTAMP, nullable, obj, page_of, ref

UUID = {"type": "string", "format": "uuid"}
LIMIT = limit(20, 100)


async def list_trash(request: Request) -> Response:
    page = PAGE.parse(request)
    limit = LIMIT.parse(request)
    entries, total = await runtime(request).trash.listing(page, limit)
    return ok(paged(entries, page, limit, total))


async def restore(request: Request) -> Response:
    restored = await runtime(request).trash.restore(path_uuid(request))
    return ok({"book": restored.book.to_json(), "jobId": restored.job_id, "missing": restored.missing})


async def purge(request: Request) -> Response:
    trash_id = path_uuid(request)
    await runtime(request).trash.purge(trash_id)
    return ok({"deleted": True, "id": trash_id})


async def empty(request: Request) -> Response:
    return ok({"purged": await runtime(request).trash.empty()})


_FILE = obj({"filename": {"type": "string"}, "size": {"type": "integer"}, "format": {"type": "string"},
             "kept": {"type": "boolean", "description": "left in place by keepFiles (not in data/trash)"}},
            ["filename", "size", "format"])  # fmt: skip
ENTRY = obj(
    {
        "id": UUID, "kind": {"type": "string", "enum": ["book", "file"]}, "bookId": UUID,
        "title": {"type": "string"}, "authors": {"type": "array", "items": {"type": "string"}},
        "status": nullable("string", description="the book's status when it was deleted"),
        "deletedAt": TIMESTAMP, "files": {"type": "array", "items": _FILE}, "expiresAt": TIMESTAMP,
        "restoring": {"type": "boolean"},
    },
    ["id", "bookId", "title", "authors", "deletedAt", "files", "expiresAt"],
)  # fmt: skip
RESTORED = obj({"book": BOOK, "jobId": nullable("string", format="uuid"),
                "missing": {"type": "array", "items": {"type": "string"},
                            "description": "files found neither in the trash nor in their old place"}},
               ["book", "jobId", "missing"])  # fmt: skip
ID = (path_param("id", "trash entry id"),)

ENDPOINTS = [
    Endpoint(
        "GET", "/api/trash", list_trash, "List the trash", "trash",
        params=(PAGE.param(), LIMIT.param()),
        description="Deleted books (kind book) and single files removed from a book (kind file), newest first. "
        "Each is purged automatically at expiresAt (deletedAt + trashDays).",
        responses={200: page_of(ENTRY), 400: ref("Error")},
    ),
    Endpoint(
        "POST", "/api/trash/empty", empty, "Empty the trash", "trash",
        description="Permanently deletes every entry and its files from data/trash.",
        responses={200: obj({"purged": {"type": "integer"}}, ["purged"])},
    ),
    Endpoint(
        "POST", "/api/trash/{id}/restore", restore, "Restore from the trash", "trash", params=ID,
        description="The book comes back with its metadata, candidates, reading state and every hash its files "
        "had (so reading progress maps again); files return to where they were, with a numbered suffix where "
        "that path is taken now, never overwriting. An organized book is organized again (jobId). A file "
        "entry rejoins its book, which must be in the library (409 otherwise).",
        responses={200: RESTORED, 400: ref("Error"), 404: ref("Error"), 409: ref("Error")},
    ),
    Endpoint(
        "DELETE", "/api/trash/{id}", purge, "Delete from the trash for good", "trash", params=ID,
        description="Permanently deletes the entry and its files; 409 while it is being restored.",
        responses={200: ref("Deleted"), 400: ref("Error"), 404: ref("Error"), 409: ref("Error")},
    ),
]  # fmt: skip
