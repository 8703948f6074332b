"""Reading statistics and the dashboard summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bookshelf.db import Database, library
from bookshelf.db import books as book_rows
from bookshelf.db import jobs as job_rows
from bookshelf.db import stats as rows
from bookshelf.models import INBOX_STATUSES, BookFilter
from bookshelf.services.preferences import PreferenceService
from bookshelf.services.reading.service import DAY, ReadingService

ACTIVITY_DAYS = 365
MONTHS = 12
DASHBOARD_BOOKS = 10


def streaks(active: set[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive active days.

    The current streak ends today, or yesterday when today has no reading yet
    (the day is not over); otherwise it is 0.
    """
    longest = run = 0
    previous: date | None = None
    for day in sorted(active):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    end = today if today in active else today - timedelta(days=1)
    current = 0
    while end in active:
        current += 1
        end -= timedelta(days=1)
    return current, longest


def months_back(today: date, count: int) -> list[str]:
    """The last ``count`` months as YYYY-MM, oldest first, ending with this month."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


class StatsService:
    def __init__(self, db: Database, preferences: PreferenceService, reading: ReadingService) -> None:
        self.db = db
        self.preferences = preferences
        self.reading = reading
        # (library_version, totals): counting distinct authors of 100,000 books takes a second on a
        # small device, so the totals are kept until a write bumps the version (same transaction).
        self._totals: tuple[int, dict[str, Any]] | None = None

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.preferences.get("timezone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    async def stats(self, user_id: str) -> dict[str, Any]:
        """/api/stats, of one account. Every figure comes from KOReader's writes; docs/reading-stats.md says more.

        Reading time: consecutive writes from one device less than 10 minutes
        apart form a session; the time between them is reading, credited to
        the later write's day. Progress read: a write's gain over the previous
        write of the same document (any device); losses and a document's first
        write count zero. A reading day has at least one write; the current
        streak ends today or yesterday. Finishes count each time a book first
        reaches finishedThreshold, re-reads included. Days and months are in
        the timezone setting.
        """
        zone = self.zone()
        now = self.reading.now()
        today = datetime.fromtimestamp(now, zone).date()
        async with self.db.read() as conn:
            buckets = await rows.activity(conn, user_id)
            finishes = await rows.finishes(conn, user_id)
            genres = await rows.genre_distribution(conn, user_id, self.reading.active_since())
        days: dict[date, list[float]] = defaultdict(lambda: [0, 0.0])
        for bucket in buckets:
            totals = days[datetime.fromtimestamp(bucket.start, zone).date()]
            totals[0] += bucket.seconds
            totals[1] += bucket.read
        first = today - timedelta(days=ACTIVITY_DAYS - 1)
        daily = []
        for offset in range(ACTIVITY_DAYS):
            day = first + timedelta(days=offset)
            seconds, read = days.get(day, [0, 0.0])
            daily.append({"date": day.isoformat(), "minutes": round(seconds / 60), "percentage": round(read, 4)})
        current, longest = streaks(set(days), today)
        return {
            "booksFinished": self._finished(finishes, zone, today),
            "dailyActivity": daily,
            "genreDistribution": [{"genre": name, "count": count} for name, count in genres],
            "readingStreak": {"current": current, "longest": longest},
            "averageFinishDays": _average_days(finishes),
        }

    @staticmethod
    def _finished(finishes: list[tuple[int, int | None]], zone: ZoneInfo, today: date) -> dict[str, Any]:
        by_month: dict[str, int] = defaultdict(int)
        this_year = 0
        for finished_at, _ in finishes:
            local = datetime.fromtimestamp(finished_at, zone)
            by_month[f"{local.year:04d}-{local.month:02d}"] += 1
            this_year += local.year == today.year
        return {
            "total": len(finishes),
            "thisYear": this_year,
            "byMonth": [{"month": month, "count": by_month.get(month, 0)} for month in months_back(today, MONTHS)],
        }

    async def dashboard(self, user_id: str) -> dict[str, Any]:
        """The dashboard as one account sees it: its currently reading, the shared library and pipeline."""
        async with self.db.read() as conn:
            recent_ids, _ = await library.list_ids(conn, BookFilter(), "organized_newest", DASHBOARD_BOOKS, 0)
            recent = await book_rows.get_many(conn, recent_ids)
            totals = await self._library_totals(conn)
            statuses = await rows.status_counts(conn)
            queues = await job_rows.counts(conn)
        await self.reading.annotate(user_id, recent)
        reading = await self.reading.currently_reading(user_id, DASHBOARD_BOOKS)
        return {
            "currentlyReading": [book.to_json() for book in reading],
            "recentlyAdded": [book.to_json() for book in recent],
            "inboxCount": sum(statuses.get(s, 0) for s in INBOX_STATUSES),
            "libraryStats": totals,
            "pipeline": {
                "processing": statuses.get("processing", 0),
                "failedJobs": sum(states["failed"] for states in queues.values()),
                "queues": queues,
            },
        }

    async def _library_totals(self, conn: Any) -> dict[str, Any]:
        version = await rows.library_version(conn)
        if self._totals is None or self._totals[0] != version:
            self._totals = (version, await rows.library_totals(conn))
        return self._totals[1]


def _average_days(finishes: list[tuple[int, int | None]]) -> float | None:
    spans = [(finished - started) / DAY for finished, started in finishes if started is not None]
    return round(sum(spans) / len(spans), 1) if spans else None
