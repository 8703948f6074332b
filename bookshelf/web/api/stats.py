"""/api/stats and /api/dashboard: reading statistics and the home page summary."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.api import runtime
from bookshelf.web.http import account_of, ok
from bookshelf.web.routing import Endpoint
from bookshelf.web.schemas import nullable, obj

INTEGER = {"type": "integer"}
STATS = obj(
    {
        "booksFinished": obj(
            {
                "total": INTEGER,
                "thisYear": INTEGER,
                "byMonth": {"type": "array", "items": obj({"month": {"type": "string"}, "count": INTEGER})},
            },
            ["total", "thisYear", "byMonth"],
        ),
        "dailyActivity": {
            "type": "array",
            "items": obj(
                {"date": {"type": "string", "format": "date"}, "minutes": INTEGER, "percentage": {"type": "number"}},
                ["date", "minutes", "percentage"],
            ),
        },
        "genreDistribution": {"type": "array", "items": obj({"genre": {"type": "string"}, "count": INTEGER})},
        "readingStreak": obj({"current": INTEGER, "longest": INTEGER}, ["current", "longest"]),
        "averageFinishDays": nullable("number"),
    },
    ["booksFinished", "dailyActivity", "genreDistribution", "readingStreak", "averageFinishDays"],
)
BOOKS = {"type": "array", "items": {"type": "object"}}
DASHBOARD = obj(
    {
        "currentlyReading": BOOKS,
        "recentlyAdded": BOOKS,
        "inboxCount": INTEGER,
        "libraryStats": obj(
            {
                "books": INTEGER,
                "authors": INTEGER,
                "series": INTEGER,
                "files": INTEGER,
                "bytes": INTEGER,
                "byFormat": {"type": "object", "additionalProperties": INTEGER},
            },
            ["books", "authors", "series", "files", "bytes", "byFormat"],
        ),
        "pipeline": obj(
            {"processing": INTEGER, "failedJobs": INTEGER, "queues": {"type": "object"}},
            ["processing", "failedJobs", "queues"],
        ),
    },
    ["currentlyReading", "recentlyAdded", "inboxCount", "libraryStats", "pipeline"],
)


async def get_stats(request: Request) -> Response:
    return ok(await runtime(request).stats.stats(account_of(request).id))


async def get_dashboard(request: Request) -> Response:
    return ok(await runtime(request).stats.dashboard(account_of(request).id))


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/stats",
        get_stats,
        "Get reading statistics",
        "reading",
        description="Finished books (total, this year, last 12 months), the last 365 days of activity (minutes "
        "estimated from sync sessions, fraction of books read), genres of finished and in-progress books, "
        "streaks of days with reading and the mean days from start to finish. Days, months and streaks are "
        "counted in the timezone setting. docs/reading-stats.md defines each figure.",
        responses={200: STATS},
    ),
    Endpoint(
        "GET",
        "/api/dashboard",
        get_dashboard,
        "Get dashboard data",
        "reading",
        description="Books being read (most recent first), recently organized books, inbox count, library "
        "totals and the job pipeline.",
        responses={200: DASHBOARD},
    ),
]
