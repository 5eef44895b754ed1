"""Comparing two assessments item by item, each read with its own stored rubric.

Items are matched by id, so assessments made on different versions of a rubric compare
as far as their items agree; an item only one version has shows as missing on the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from casemgr.assessments.rubric import Rubric


@dataclass(frozen=True)
class AnsweredItem:
    """One side's answer to an item, with the labels of that side's rubric."""

    section: str
    label: str
    point: int
    point_label: str
    rationale: str


@dataclass(frozen=True)
class AssessmentSide:
    rubric: Rubric
    points: Mapping[str, int]
    rationales: Mapping[str, str]

    def answered(self, item_id: str) -> AnsweredItem | None:
        for section in self.rubric.sections:
            for item in section.items:
                if item.id == item_id:
                    point = self.points.get(item_id, 0)
                    rationale = self.rationales.get(item_id, "")
                    return AnsweredItem(
                        section.title, item.label, point, item.label_of(point), rationale
                    )
        return None


@dataclass(frozen=True)
class ItemComparison:
    item_id: str
    before: AnsweredItem | None  # None: not an item of that side's rubric
    after: AnsweredItem | None

    @property
    def label(self) -> str:
        shown = self.after or self.before
        return shown.label if shown else self.item_id

    @property
    def point_changed(self) -> bool:
        return _point(self.before) != _point(self.after)

    @property
    def rationale_changed(self) -> bool:
        return _rationale(self.before) != _rationale(self.after)

    @property
    def changed(self) -> bool:
        return self.point_changed or self.rationale_changed


def _point(answered: AnsweredItem | None) -> int | None:
    return answered.point if answered else None


def _rationale(answered: AnsweredItem | None) -> str | None:
    # Whitespace alone is no change of reasoning.
    return " ".join(answered.rationale.split()) if answered else None


def side_of(rubric: Rubric, answers: Iterable[tuple[str, int, str]]) -> AssessmentSide:
    """One side from (item id, point, rationale) triples."""
    listed = list(answers)
    return AssessmentSide(
        rubric,
        {item_id: point for item_id, point, _ in listed},
        {item_id: rationale for item_id, _, rationale in listed},
    )


def _item_ids(before: Rubric, after: Rubric) -> list[str]:
    """The earlier rubric's items in its order, then those only the later one has."""
    ids = list(before.items)
    return ids + [item_id for item_id in after.items if item_id not in before.items]


def compare_sides(before: AssessmentSide, after: AssessmentSide) -> list[ItemComparison]:
    """Every item of either rubric, with both sides' answers."""
    return [
        ItemComparison(item_id, before.answered(item_id), after.answered(item_id))
        for item_id in _item_ids(before.rubric, after.rubric)
    ]
