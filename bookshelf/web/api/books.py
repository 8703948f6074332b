"""/api/books/{id}: actions on a book in any status (deleting, for now)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.web.api import runtime
from bookshelf.web.http import ok, path_uuid
from bookshelf.web.routing import Endpoint, path_param, query_param
from bookshelf.web.schemas import ref


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise InvalidInput(f"{name} must be true or false")
    return raw in ("true", "1")


async def delete_book(request: Request) -> Response:
    book_id = path_uuid(request)
    await runtime(request).removal.delete(book_id, keep_files=_flag(request, "keepFiles"))
    return ok({"deleted": True, "id": book_id})


ENDPOINTS = [
    Endpoint(
        "DELETE",
        "/api/books/{id}",
        delete_book,
        "Delete book",
        "books",
        params=(
            path_param("id"),
            query_param(
                "keepFiles",
                {"type": "boolean", "default": False},
                "Leave the files where they are instead of moving them to the trash",
            ),  # fmt: skip
        ),
        description="Removes the book (any status), its candidates and queued jobs. Its files go to the trash "
        "folder unless keepFiles=true. Reading progress is kept.",
        responses={200: ref("Deleted"), 400: ref("Error"), 404: ref("Error")},
    ),
]
