"""Reading the assessment form, which is generated from a rubric rather than declared.

Every item of the rubric posts four fields, named after the item's id:
`point.<id>` (one scale point), `rationale.<id>`, and `threats.<id>` / `evidence.<id>`
(the ids the answer rests on, several values each). The override posts `override_level`
and `override_justification`. CSRF is checked for every form by CSRFProtect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from casemgr.assessments.models import AssessmentAnswer
from casemgr.assessments.operations import Answer, LevelOverride
from casemgr.assessments.rubric import LEVELS, Item, Rubric
from casemgr.validation import row_id


class FormData(Protocol):
    """What is read of a posted form (a werkzeug MultiDict)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass
class AssessmentDraft:
    """The answers as the analyst gave them, kept whole so a refused form shows them again."""

    answers: dict[str, Answer]
    override_level: str = ""
    justification: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)  # named like the service's

    @property
    def override(self) -> LevelOverride | None:
        """The analyst's override, when they chose a level or wrote a justification."""
        if not self.override_level and not self.justification.strip():
            return None
        return LevelOverride(self.override_level, self.justification)

    def answer(self, item_id: str) -> Answer:
        return self.answers.get(item_id, Answer(0))


def blank_draft(rubric: Rubric) -> AssessmentDraft:
    """Every item at 0 (the "not seen" end of its scale)."""
    return AssessmentDraft({item_id: Answer(0) for item_id in rubric.items})


def _ids(values: list[str]) -> tuple[list[int], bool]:
    """The row ids given, and whether every value was one."""
    ids = [number for number in map(row_id, values) if number is not None]
    return list(dict.fromkeys(ids)), len(ids) == len(values)


def _point(item: Item, raw: str | None) -> int | None:
    """The chosen point, 0 when none was chosen, None when it is not on the item's scale."""
    if raw is None or raw == "":
        return 0
    return {str(p.point): p.point for p in item.scale}.get(raw)


def read_draft(rubric: Rubric, form: FormData) -> AssessmentDraft:
    """The posted answers to `rubric`'s items; values that are not among the choices offered
    are noted in `problems` under the name the service uses ("answers.<item id>")."""
    draft = AssessmentDraft(
        {},
        override_level=(form.get("override_level") or "").strip(),
        justification=form.get("override_justification") or "",
    )
    for item in rubric.items.values():
        name = f"answers.{item.id}"
        point = _point(item, form.get(f"point.{item.id}"))
        threat_ids, threats_ok = _ids(form.getlist(f"threats.{item.id}"))
        evidence_ids, evidence_ok = _ids(form.getlist(f"evidence.{item.id}"))
        if point is None:
            allowed = ", ".join(str(p.point) for p in item.scale)
            draft.problems.setdefault(name, []).append(f"Choose a point on the scale ({allowed}).")
        if not (threats_ok and evidence_ok):
            draft.problems.setdefault(name, []).append(
                "Choose threats and evidence from the lists."
            )
        draft.answers[item.id] = Answer(
            point or 0, form.get(f"rationale.{item.id}") or "", threat_ids, evidence_ids
        )
    if draft.override_level and draft.override_level not in LEVELS:
        draft.problems["override.level"] = [f"Choose one of: {', '.join(LEVELS)}."]
    return draft


def draft_from(rubric: Rubric, answers: Iterable[AssessmentAnswer]) -> AssessmentDraft:
    """A draft for `rubric` that starts from an earlier assessment's answers, matched by
    item id; items new to the rubric, or whose old point is off their scale, start at 0."""
    draft = blank_draft(rubric)
    items = rubric.items
    for stored in answers:
        item = items.get(stored.item_id)
        if item is None or _point(item, str(stored.point)) is None:
            continue
        draft.answers[item.id] = Answer(
            stored.point,
            stored.rationale,
            [threat.id for threat in stored.threats],
            [evidence.id for evidence in stored.evidence],
        )
    return draft
