"""HTML error pages for the browser UI."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import BookshelfError
from bookshelf.web.ui.render import render

TITLES = {400: "That did not work", 401: "Please sign in", 404: "Not found", 405: "Not allowed", 413: "Too large"}


def error_page(request: Request, exc: BookshelfError) -> Response:
    title = TITLES.get(exc.status, "Something went wrong")
    response = render(request, "error.html", status=exc.status, title=title, message=exc.message)
    response.headers.update(exc.headers)
    return response
