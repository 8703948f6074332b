"""/read/{id}: the in-browser reader page, under a policy that lets the book render and nothing more.

The book's chapters are shown in frames made from blob: URLs, which inherit this
page's policy; so that policy must allow what a chapter is made of (its own
stylesheets, inline styles, images and fonts unpacked into blob: URLs) while
scripts stay limited to our own files: a script inside a book never runs, and
nothing is fetched from another host. pdf.js runs its parser in a worker served
from /static ('self'); blob: is allowed for workers and images it creates.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.web.http import path_uuid
from bookshelf.web.ui.render import current_account, page, render, runtime, ui_endpoint

READER_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' blob: 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data: blob:; connect-src 'self'; "
    "frame-src 'self' blob:; child-src 'self' blob:; worker-src 'self' blob:; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)


@page
async def read(request: Request) -> Response:
    file_id = _file_param(request.query_params.get("file"))
    view = await runtime(request).reader.open(current_account(request).id, path_uuid(request), file_id)
    response = render(request, "reader.html", title=view.book.title, active="read", reader=view.to_json())
    response.headers["content-security-policy"] = READER_CSP
    response.headers["x-frame-options"] = "SAMEORIGIN"
    return response


def _file_param(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidInput("file must be a file id") from None


ENDPOINTS = [ui_endpoint("GET", "/read/{id}", read, "Read a book in the browser")]
