"""The signed-in pages: dashboard, inbox, review, library, book, reading and jobs.

What a page shows on arrival is rendered here from the services (the same
calls and JSON shapes the API answers with), so it costs one paginated query
whether the library has 100 books or 100,000. A small module under /static
then does what needs the browser: uploads, polling, search as you type,
picking review fields and editing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import NotFound
from bookshelf.models import READING_STATUSES
from bookshelf.services.reader import READABLE
from bookshelf.web.http import path_uuid
from bookshelf.web.ui.render import current_account, page, redirect, render, runtime, ui_endpoint

LIBRARY_SORTS = (
    ("title_asc", "Title A–Z"),
    ("title_desc", "Title Z–A"),
    ("author_asc", "Author A–Z"),
    ("author_desc", "Author Z–A"),
    ("added_newest", "Newest first"),
    ("added_oldest", "Oldest first"),
)
INBOX_SORTS = (
    ("detected_newest", "Newest first"),
    ("detected_oldest", "Oldest first"),
    ("title_asc", "Title A–Z"),
    ("title_desc", "Title Z–A"),
    ("status_asc", "Status A–Z"),
    ("status_desc", "Status Z–A"),
)
# The reading page's tabs: models.READING_STATUSES in display order, books in progress first.
_TAB_ORDER = ("reading", "paused", "unread", "finished")
assert sorted(_TAB_ORDER) == sorted(READING_STATUSES)
READING_TABS = tuple((status, status.capitalize()) for status in _TAB_ORDER)
QUEUE_STATES = ("waiting", "active", "delayed", "completed", "failed")


@page
async def dashboard(request: Request) -> Response:
    data = await runtime(request).stats.dashboard(current_account(request).id)
    return render(request, "dashboard.html", title="Dashboard", active="dashboard", data=data)


@page
async def inbox(request: Request) -> Response:
    by_status = await runtime(request).inbox.count()
    counts = {"count": sum(by_status.values()), "byStatus": by_status}  # the /api/inbox/count shape
    return render(request, "inbox.html", title="Inbox", active="inbox", sorts=INBOX_SORTS, counts=counts)


@page
async def review(request: Request) -> Response:
    book = await runtime(request).review.book(path_uuid(request))
    if book.status == "organized":
        return redirect(f"/books/{book.id}")
    return render(request, "review.html", title=f"Review {book.title}", active="inbox", book=book.to_json())


@page
async def library(request: Request) -> Response:
    return render(request, "library.html", title="Library", active="library", sorts=LIBRARY_SORTS)


@page
async def book(request: Request) -> Response:
    rt = runtime(request)
    book_id = path_uuid(request)
    try:
        found = await rt.library.get(book_id)
    except NotFound:
        if current_account(request).is_admin and (await rt.review.book(book_id)).in_inbox:  # NotFound again
            return redirect(f"/review/{book_id}")
        raise
    account = current_account(request)
    progress = await rt.reading.book_progress(account.id, found)
    try:
        link: dict[str, Any] | None = await rt.hardcover.links.get(account.id, book_id)
    except NotFound:  # not linked (yet)
        link = None
    return render(
        request,
        "book.html",
        title=found.title,
        active="library",
        book=found.to_json(),
        devices=one_per_device(progress["devices"]),
        readable=any(f.format.lower() in READABLE for f in found.files),
        hardcover=link if link and link.get("bookId") else None,
    )


def one_per_device(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each device once, at its latest (newest first already): a KOReader that synced an older copy of
    the book and then the new one has two records, and only the newer is where it is."""
    seen: set[str] = set()
    out = []
    for device in devices:
        key = device["deviceId"] or device["device"]
        if key not in seen:
            seen.add(key)
            out.append(device)
    return out


@page
async def reading(request: Request) -> Response:
    counts = await runtime(request).reading.counts(current_account(request).id)
    return render(request, "reading.html", title="Reading", active="reading", statuses=READING_TABS, counts=counts)


@page
async def jobs(request: Request) -> Response:
    queues = await runtime(request).jobs.status()
    return render(request, "jobs.html", title="Jobs", active="jobs", queues=queues, states=QUEUE_STATES)


ENDPOINTS = [
    ui_endpoint("GET", "/", dashboard, "Dashboard"),
    ui_endpoint("GET", "/inbox", inbox, "Inbox"),
    ui_endpoint("GET", "/review/{id}", review, "Review a book"),
    ui_endpoint("GET", "/library", library, "Library"),
    ui_endpoint("GET", "/books/{id}", book, "Book page"),
    ui_endpoint("GET", "/reading", reading, "Reading lists"),
    ui_endpoint("GET", "/jobs", jobs, "Jobs"),
]
