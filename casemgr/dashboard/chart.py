"""A bar chart of weekly counts as plain geometry, for a server-rendered SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    week_start: datetime


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: int
    total: int


def weekly_chart(counts: list[int], end: datetime, width: int = 520, height: int = 120) -> Chart:
    """One bar per week ending at `end`; bars scale to the busiest week (at least 1)."""
    peak = max([*counts, 1])
    slot = width / max(len(counts), 1)
    start = end - timedelta(weeks=len(counts))
    bars = []
    for index, count in enumerate(counts):
        bar_height = (height - 4) * count / peak
        bars.append(
            Bar(
                x=round(index * slot + 1, 1),
                y=round(height - bar_height, 1),
                width=round(slot - 2, 1),
                height=round(bar_height, 1),
                count=count,
                week_start=start + timedelta(weeks=index),
            )
        )
    return Chart(width, height, bars, peak, sum(counts))
