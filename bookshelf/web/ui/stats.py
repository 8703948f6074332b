"""The Stats page: finished books by month, a year of daily reading, genres and streaks, drawn on the server."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.ui import charts
from bookshelf.web.ui.render import page, render, runtime, ui_endpoint


async def _stats(rt: Any) -> dict[str, Any] | None:
    """The /api/stats body from the reading service, or None until reading sync is part of this server."""
    reading = getattr(rt, "reading", None)
    stats = getattr(reading, "stats", None)
    return await stats() if stats else None


@page
async def stats_page(request: Request) -> Response:
    data = await _stats(runtime(request))
    context: dict[str, Any] = {"stats": data}
    if data:
        context.update(
            months=charts.month_bars(data["booksFinished"]["byMonth"]),
            cells=charts.heatmap_cells(data["dailyActivity"], date.today()),
            genres=charts.genre_bars(data["genreDistribution"]),
        )
    return render(request, "stats.html", title="Stats", active="stats", **context)


ENDPOINTS = [ui_endpoint("GET", "/stats", stats_page, "Reading statistics")]
