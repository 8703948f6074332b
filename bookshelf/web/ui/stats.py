"""The Stats page: finished books by month, a year of daily reading, genres and streaks, drawn on the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.web.ui import charts
from bookshelf.web.ui.render import current_account, page, render, runtime, ui_endpoint


@page
async def stats_page(request: Request) -> Response:
    rt = runtime(request)
    data = await rt.stats.stats(current_account(request).id)
    # "Today" in the timezone the stats are bucketed in, so the heatmap ends on the right day.
    today = datetime.now(rt.stats.zone()).date()
    context: dict[str, Any] = {
        "stats": data,
        "empty": not data["booksFinished"]["total"] and not any(d["minutes"] for d in data["dailyActivity"]),
        "months": charts.month_bars(data["booksFinished"]["byMonth"]),
        "cells": charts.heatmap_cells(data["dailyActivity"], today),
        "genres": charts.genre_bars(data["genreDistribution"]),
    }
    return render(request, "stats.html", title="Stats", active="stats", **context)


ENDPOINTS = [ui_endpoint("GET", "/stats", stats_page, "Reading statistics")]
