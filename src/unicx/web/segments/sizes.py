"""A segment's size over the last 30 days: the daily series (a day without changes keeps the
size of the day before), its sparkline and its plotly figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from unicx.segments.models import SizePoint

DAYS = 30
SERIES_COLOR = "#0b5cad"  # --s1: the same series keeps the same color on every page


@dataclass(frozen=True)
class Day:
    day: date
    size: int
    entered: int
    exited: int


def last_days(points: list[SizePoint], today: date, *, days: int = DAYS) -> list[Day]:
    """One row per day of the window, from the segment's first recorded day on."""
    by_day = {p.day: p for p in points}
    start = today - timedelta(days=days - 1)
    size = next((p.size for p in reversed(points) if p.day < start), None)
    out = []
    for i in range(days):
        day = start + timedelta(days=i)
        point = by_day.get(day)
        if point is not None:
            size = point.size
        if size is not None:
            out.append(Day(day, size, point.entered if point else 0, point.exited if point else 0))
    return out


def when(value: Any) -> datetime | None:
    """A trait's stored time (ISO text) as a datetime, for the page's date format."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def sparkline(series: list[Day], *, width: int = 120, height: int = 28) -> str:
    """The ``points`` of an SVG polyline (empty under two days)."""
    if len(series) < 2:
        return ""
    sizes = [d.size for d in series]
    low, high = min(sizes), max(sizes)
    span = (high - low) or 1
    step = width / (len(series) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (s - low) / span * (height - 4):.1f}"
        for i, s in enumerate(sizes)
    )


def _day_range(series: list[Day]) -> list[str]:
    if not series:
        return []
    first = series[0].day - timedelta(days=1 if len(series) > 3 else 3)
    last = series[-1].day + timedelta(days=1 if len(series) > 3 else 3)
    return [first.isoformat(), last.isoformat()]


def figure(series: list[Day], *, title: str, x_title: str, y_title: str, name: str) -> Any:
    """A plotly figure (data and layout) of the size per day."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [d.day.isoformat() for d in series],
                "y": [d.size for d in series],
                "line": {"color": SERIES_COLOR},
            }
        ],
        "layout": {
            "title": {"text": title},
            "xaxis": {
                "title": {"text": x_title},
                "type": "date",
                "tickformat": "%d/%m",
                # Whole days only, and a few days either side of a short series.
                "dtick": 86_400_000 * max(1, len(series) // 8),
                "range": _day_range(series),
            },
            "yaxis": {
                "title": {"text": y_title},
                "tickformat": ",d",
                "range": [0, max(5, *(d.size for d in series)) * 1.1] if series else [0, 5],
            },
            "showlegend": False,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "height": 320,
        },
    }
