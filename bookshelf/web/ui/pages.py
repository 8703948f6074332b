"""Pages whose data the browser loads from the JSON API: dashboard, inbox, review, library, book, reading, jobs.

The server sends the page frame; a small module under /static fills it from
/api with the session cookie, polls while books are processing and searches
as the user types. Every figure comes from one paginated API call, so each
page costs the same at 100 books or 100,000.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.http import path_uuid
from bookshelf.web.ui.render import page, render, ui_endpoint

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
READING_STATUSES = (("reading", "Reading"), ("paused", "Paused"), ("unread", "Unread"), ("finished", "Finished"))


@page
async def dashboard(request: Request) -> Response:
    return render(request, "dashboard.html", title="Dashboard", active="dashboard")


@page
async def inbox(request: Request) -> Response:
    return render(request, "inbox.html", title="Inbox", active="inbox", sorts=INBOX_SORTS)


@page
async def review(request: Request) -> Response:
    book_id = path_uuid(request)
    return render(request, "review.html", title="Review", active="inbox", book_id=book_id)


@page
async def library(request: Request) -> Response:
    return render(request, "library.html", title="Library", active="library", sorts=LIBRARY_SORTS)


@page
async def book(request: Request) -> Response:
    book_id = path_uuid(request)
    return render(request, "book.html", title="Book", active="library", book_id=book_id)


@page
async def reading(request: Request) -> Response:
    return render(request, "reading.html", title="Reading", active="reading", statuses=READING_STATUSES)


@page
async def jobs(request: Request) -> Response:
    return render(request, "jobs.html", title="Jobs", active="jobs")


ENDPOINTS = [
    ui_endpoint("GET", "/", dashboard, "Dashboard"),
    ui_endpoint("GET", "/inbox", inbox, "Inbox"),
    ui_endpoint("GET", "/review/{id}", review, "Review a book"),
    ui_endpoint("GET", "/library", library, "Library"),
    ui_endpoint("GET", "/books/{id}", book, "Book page"),
    ui_endpoint("GET", "/reading", reading, "Reading lists"),
    ui_endpoint("GET", "/jobs", jobs, "Jobs"),
]
