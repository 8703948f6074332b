"""The Trash page: deleted books and files, restored or deleted forever, and emptying the trash."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import BookshelfError
from bookshelf.web.http import path_uuid
from bookshelf.web.paging import PAGE
from bookshelf.web.ui.render import page, redirect, render, runtime, ui_endpoint

PER_PAGE = 50


async def _render(request: Request, status: int = 200, **extra: object) -> Response:
    number = PAGE.parse(request)
    entries, total = await runtime(request).trash.listing(number, PER_PAGE)
    return render(request, "trash.html", status=status, title="Trash", active="trash", entries=entries,
                  total=total, page=number, pages=max(1, (total + PER_PAGE - 1) // PER_PAGE),
                  days=runtime(request).preferences.get("trashDays"), **extra)  # fmt: skip


@page
async def trash_page(request: Request) -> Response:
    return await _render(request, flash=request.query_params.get("done"))


@page
async def restore(request: Request) -> Response:
    try:
        restored = await runtime(request).trash.restore(path_uuid(request))
    except BookshelfError as exc:
        return await _render(request, exc.status, problem=exc.message)
    return redirect("/trash?done=" + ("Restored " + restored.book.title)[:200])


@page
async def delete_forever(request: Request) -> Response:
    try:
        await runtime(request).trash.purge(path_uuid(request))
    except BookshelfError as exc:
        return await _render(request, exc.status, problem=exc.message)
    return redirect("/trash?done=Deleted+forever")


@page
async def empty(request: Request) -> Response:
    purged = await runtime(request).trash.empty()
    return redirect(f"/trash?done=Emptied+the+trash+({purged})")


ENDPOINTS = [
    ui_endpoint("GET", "/trash", trash_page, "Trash"),
    ui_endpoint("POST", "/trash/empty", empty, "Empty the trash"),
    ui_endpoint("POST", "/trash/{id}/restore", restore, "Restore from the trash"),
    ui_endpoint("POST", "/trash/{id}/delete", delete_forever, "Delete forever"),
]
