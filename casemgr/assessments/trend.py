"""A case's concern level over time as plain geometry, for a small server-rendered SVG.

A level holds from one assessment until the next, so the line is drawn as steps, and the
last step runs on to `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from casemgr.assessments.rubric import LEVELS

LABEL_WIDTH = 72  # room for the level names left of the plot
PAD = 8


@dataclass(frozen=True)
class LevelRow:
    level: str
    y: float


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    level: str
    at: datetime
    score: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    rows: list[LevelRow]
    points: list[TrendPoint]
    steps: str  # the polyline's points, "x,y x,y ..."
    start: datetime | None
    end: datetime


def _row_y(level: str, height: int) -> float:
    """Imminent on top, low at the bottom."""
    step = (height - 2 * PAD) / (len(LEVELS) - 1)
    return round(PAD + (len(LEVELS) - 1 - LEVELS.index(level)) * step, 1)


def _xs(times: Sequence[datetime], end: datetime, width: int) -> list[float]:
    """X by time from the first assessment to `end`; evenly spaced when no time passed."""
    left, right = LABEL_WIDTH, width - PAD
    span = (end - times[0]).total_seconds() if times else 0
    if span <= 0:
        slot = (right - left) / max(len(times), 1)
        return [round(left + index * slot, 1) for index in range(len(times))]
    return [round(left + (right - left) * (t - times[0]).total_seconds() / span, 1) for t in times]


def level_trend(
    history: Sequence[tuple[datetime, str, float]],
    now: datetime,
    width: int = 520,
    height: int = 120,
) -> TrendChart:
    """The chart of (time, final level, score) triples, oldest first, up to `now`."""
    end = max([now, *(at for at, _, _ in history)])
    xs = _xs([at for at, _, _ in history], end, width)
    points = [
        TrendPoint(x, _row_y(level, height), level, at, score)
        for x, (at, level, score) in zip(xs, history, strict=True)
    ]
    corners: list[tuple[float, float]] = []
    for index, point in enumerate(points):
        if index:
            corners.append((point.x, points[index - 1].y))
        corners.append((point.x, point.y))
    if points:
        corners.append((float(width - PAD), points[-1].y))
    return TrendChart(
        width,
        height,
        [LevelRow(level, _row_y(level, height)) for level in LEVELS],
        points,
        " ".join(f"{x},{y}" for x, y in corners),
        history[0][0] if history else None,
        end,
    )
