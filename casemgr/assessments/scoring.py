"""Scoring a rubric: one pure function from answers to a score and a concern level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from casemgr.assessments.rubric import LEVELS, Override, Rubric


@dataclass(frozen=True)
class Score:
    score: float  # 0 to 100: the weighted share of the maximum
    threshold_level: str  # the level the thresholds give
    computed_level: str  # after the override rules
    raised_by: tuple[Override, ...]  # the rules that raised it


def higher(first: str, second: str) -> str:
    return max(first, second, key=LEVELS.index)


def check_points(rubric: Rubric, points: Mapping[str, int]) -> dict[str, str]:
    """What is wrong with the points given, by item id; empty when all are valid."""
    items = rubric.items
    problems = {item_id: "not an item of this rubric" for item_id in points if item_id not in items}
    for item_id, point in points.items():
        item = items.get(item_id)
        if item is not None and point not in {p.point for p in item.scale}:
            allowed = ", ".join(str(p.point) for p in item.scale)
            problems[item_id] = f"{point} is not on the scale ({allowed})"
    return problems


def score_answers(rubric: Rubric, points: Mapping[str, int]) -> Score:
    """Score the points given per item (items left out count as 0). Raises ValueError for
    an unknown item or a point off an item's scale."""
    problems = check_points(rubric, points)
    if problems:
        raise ValueError("; ".join(f"{item}: {problem}" for item, problem in problems.items()))
    items = rubric.items.values()
    total = sum(item.weight for item in items)
    earned = sum(item.weight * points.get(item.id, 0) / item.max_point for item in items)
    score = round(100 * earned / total, 2)
    threshold_level = max(
        (level for level in LEVELS if score >= rubric.thresholds[level]), key=LEVELS.index
    )
    raised = tuple(rule for rule in rubric.overrides if points.get(rule.item, 0) >= rule.at_least)
    level = threshold_level
    for rule in raised:
        level = higher(level, rule.level)
    return Score(score, threshold_level, level, raised)
