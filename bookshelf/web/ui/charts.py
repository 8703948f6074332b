"""Reading statistics drawn as SVG on the server: monthly bars, a year heatmap and genre bars.

Input is the /api/stats body, so the page and the API can never disagree.
Every figure is an attribute (no inline style), which the page's CSP requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

CELL = 11
GAP = 2


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


def month_bars(by_month: list[dict[str, Any]], width: int = 640, height: int = 160) -> list[Bar]:
    """One bar per month, scaled to the busiest month."""
    months = by_month[-24:]
    if not months:
        return []
    top = max((m["count"] for m in months), default=0) or 1
    slot = width / len(months)
    bars = []
    for index, month in enumerate(months):
        h = (height - 20) * month["count"] / top
        bars.append(Bar(month["month"], month["count"], index * slot + 2, height - 20 - h, max(slot - 4, 1), h))
    return bars


def heat_level(minutes: float, top: float) -> int:
    """0 (none) to 4 (the busiest days), in quartiles of the busiest day."""
    if minutes <= 0 or top <= 0:
        return 0
    return min(4, 1 + int(4 * minutes / (top + 1e-9)))


def heatmap_cells(daily: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """A GitHub-style year: 53 columns of weeks, rows Monday..Sunday, ending today."""
    minutes = {d["date"]: float(d.get("minutes") or 0) for d in daily}
    top = max(minutes.values(), default=0)
    start = today - timedelta(days=364)
    start -= timedelta(days=start.weekday())
    cells = []
    day = start
    while day <= today:
        offset = (day - start).days
        key = day.isoformat()
        cells.append(
            {
                "date": key,
                "minutes": round(minutes.get(key, 0)),
                "level": heat_level(minutes.get(key, 0), top),
                "x": (offset // 7) * (CELL + GAP),
                "y": (offset % 7) * (CELL + GAP) + 14,
            }
        )
        day += timedelta(days=1)
    return cells


def genre_bars(genres: list[dict[str, Any]], width: int = 360) -> list[Bar]:
    items = genres[:10]
    top = max((g["count"] for g in items), default=0) or 1
    return [Bar(g["genre"], g["count"], 0, i * 22, max(width * g["count"] / top, 2), 16) for i, g in enumerate(items)]
