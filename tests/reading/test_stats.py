"""/api/stats on a constructed history with known answers, and /api/dashboard."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from bookshelf.db.stats import rebuild_activity
from bookshelf.runtime import Runtime
from bookshelf.services.reading.stats import months_back, streaks
from tests.reading.helpers import add_book, record

BERLIN = ZoneInfo("Europe/Berlin")
X, Y, Z = "1" * 32, "2" * 32, "3" * 32


def at(text: str) -> int:
    """Unix time of a Berlin wall-clock time."""
    return int(datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp())


async def build_history(runtime: Runtime) -> None:
    await runtime.preferences.patch({"timezone": "Europe/Berlin"})
    runtime.reading.now = lambda: at("2026-03-02T12:00")
    await add_book(runtime, "Book X", genres=["Science Fiction"], hashes=[X])
    await add_book(runtime, "Book Y", genres=["Fantasy"], hashes=[Y])
    await add_book(runtime, "Book Z", genres=["Fantasy", "History"], hashes=[Z])
    await add_book(runtime, "Book W", genres=["Poetry"], hashes=["4" * 32])  # never read
    writes = [
        # Z: read in December 2025 (30 days).
        (Z, 0.01, "2025-12-01T20:00", "kobo"),
        (Z, 0.99, "2025-12-31T20:00", "kobo"),
        # Y: five days in a row in January, finished (4 days), then read again in February (20 days).
        (Y, 0.01, "2026-01-10T20:00", "kobo"),
        (Y, 0.30, "2026-01-11T20:00", "kobo"),
        (Y, 0.50, "2026-01-12T20:00", "kobo"),
        (Y, 0.80, "2026-01-13T20:00", "kobo"),
        (Y, 0.99, "2026-01-14T20:00", "kobo"),
        (Y, 0.02, "2026-02-01T20:00", "kobo"),
        (Y, 0.985, "2026-02-21T20:00", "kobo"),
        # X: a streak across the month boundary. 00:30 on 27 Feb in Berlin is still 26 Feb in UTC.
        (X, 0.05, "2026-02-27T00:30", "kobo"),
        (X, 0.07, "2026-02-28T21:00", "kobo"),
        # 1 March: two devices. kobo reads 10 minutes, phone 4.
        (X, 0.10, "2026-03-01T10:00", "kobo"),
        (X, 0.12, "2026-03-01T10:05", "kobo"),
        (X, 0.14, "2026-03-01T10:10", "kobo"),
        (X, 0.15, "2026-03-01T20:00", "phone"),
        (X, 0.20, "2026-03-01T20:04", "phone"),
        (X, 0.22, "2026-03-02T09:00", "kobo"),
    ]
    for document, percentage, when, device in writes:
        await record(runtime, document, percentage, at(when), device=device)


async def test_stats_known_answers(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await build_history(runtime)
    response = await api.get("/api/stats")
    assert response.status_code == 200
    stats = response.json()

    finished = stats["booksFinished"]
    assert finished["total"] == 3 and finished["thisYear"] == 2  # Y twice (a re-read counts), Z last year
    assert len(finished["byMonth"]) == 12 and finished["byMonth"][-1] == {"month": "2026-03", "count": 0}
    assert {m["month"]: m["count"] for m in finished["byMonth"] if m["count"]} == {
        "2025-12": 1,
        "2026-01": 1,
        "2026-02": 1,
    }
    assert stats["averageFinishDays"] == 18.0  # (30 + 4 + 20) / 3

    assert stats["readingStreak"] == {"current": 4, "longest": 5}
    assert stats["genreDistribution"] == [
        {"genre": "Fantasy", "count": 2},
        {"genre": "History", "count": 1},
        {"genre": "Science Fiction", "count": 1},
    ]

    daily = {entry["date"]: entry for entry in stats["dailyActivity"]}
    assert len(stats["dailyActivity"]) == 365
    assert stats["dailyActivity"][-1]["date"] == "2026-03-02"
    assert stats["dailyActivity"][0]["date"] == "2025-03-03"
    # kobo 10 min + phone 4 min; gains 0.07->0.10->0.12->0.14->0.15->0.20 = 0.13.
    assert daily["2026-03-01"] == {"date": "2026-03-01", "minutes": 14, "percentage": 0.13}
    assert daily["2026-02-27"] == {"date": "2026-02-27", "minutes": 0, "percentage": 0}  # first sight of X
    assert daily["2026-02-28"]["percentage"] == 0.02
    assert daily["2026-02-01"]["percentage"] == 0  # going back to the start is no reading
    assert daily["2026-02-21"]["percentage"] == 0.965
    assert daily["2026-02-26"]["percentage"] == 0 and daily["2026-02-26"]["minutes"] == 0


async def test_streak_uses_the_timezone_setting(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await build_history(runtime)
    await runtime.preferences.patch({"timezone": "UTC"})
    # In UTC the 00:30 write falls on 26 February, so 27 February is empty and the streak is 3.
    assert (await api.get("/api/stats")).json()["readingStreak"] == {"current": 3, "longest": 5}


async def test_empty_stats(api: httpx.AsyncClient) -> None:
    stats = (await api.get("/api/stats")).json()
    assert stats["booksFinished"]["total"] == 0 and stats["averageFinishDays"] is None
    assert stats["readingStreak"] == {"current": 0, "longest": 0} and stats["genreDistribution"] == []
    assert all(day["minutes"] == 0 for day in stats["dailyActivity"])


def test_streaks_and_months() -> None:
    days = {date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 5)}
    assert streaks(days, date(2024, 3, 1)) == (3, 3)
    assert streaks(days, date(2024, 3, 2)) == (3, 3)  # yesterday's streak is still alive today
    assert streaks(days, date(2024, 3, 3)) == (0, 3)
    assert months_back(date(2026, 2, 10), 3) == ["2025-12", "2026-01", "2026-02"]


async def test_dashboard(api: httpx.AsyncClient, runtime: Runtime) -> None:
    first = await add_book(runtime, "First", ["Ann"], hashes=["1" * 32], size=1000)
    second = await add_book(runtime, "Second", ["Bob", "Ann"], hashes=["2" * 32, "5" * 32], size=500)
    pdf = await add_book(runtime, "Third", ["Cy"], hashes=["3" * 32], fmt="pdf", size=2000)
    await add_book(runtime, "Pending", status="review", hashes=["4" * 32])
    await add_book(runtime, "Parsing", status="processing")
    now = runtime.reading.now()
    await record(runtime, "1" * 32, 0.3, now - 100)
    await record(runtime, "2" * 32, 0.6, now - 50)
    await record(runtime, "3" * 32, 0.99, now - 10)  # finished: not "currently reading"

    body = (await api.get("/api/dashboard")).json()
    assert [(b["id"], b["progress"]) for b in body["currentlyReading"]] == [(second.id, 0.6), (first.id, 0.3)]
    assert {b["id"] for b in body["recentlyAdded"]} == {first.id, second.id, pdf.id}
    assert body["inboxCount"] == 2
    assert body["libraryStats"] == {
        "books": 3,
        "authors": 3,
        "series": 0,
        "files": 4,
        "bytes": 1000 + 2 * 500 + 2000,
        "byFormat": {"epub": 3, "pdf": 1},
    }
    assert body["pipeline"]["processing"] == 1 and body["pipeline"]["failedJobs"] == 0
    assert set(body["pipeline"]["queues"]) >= {"parse", "metadata", "organize", "hardcover"}
    assert body["pipeline"]["queues"]["parse"]["failed"] == 0


async def test_activity_kept_on_write_equals_a_recount(runtime: Runtime) -> None:
    await build_history(runtime)
    kept = [
        tuple(row)
        for row in await runtime.db.fetchall(
            "SELECT bucket, seconds, gain, updates FROM reading_activity ORDER BY bucket"
        )
    ]
    assert len(kept) == 14 and sum(row[3] for row in kept) == 17  # 17 writes in 14 quarter hours
    await runtime.db.write(rebuild_activity)  # what migration 0004 does for history already stored
    recounted = [
        tuple(row)
        for row in await runtime.db.fetchall(
            "SELECT bucket, seconds, gain, updates FROM reading_activity ORDER BY bucket"
        )
    ]
    assert [row[:2] + (round(row[2], 6),) + row[3:] for row in recounted] == [
        row[:2] + (round(row[2], 6),) + row[3:] for row in kept
    ]
