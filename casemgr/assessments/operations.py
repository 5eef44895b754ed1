"""Assessments: one scored run of a rubric on a case. Never edited; a new one supersedes
the last, and the case's concern level follows the newest."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache, lru_cache

from sqlalchemy import Select, bindparam, func, insert, inspect, select
from sqlalchemy.orm import Session

from casemgr.assessments.models import (
    Assessment,
    AssessmentAnswer,
    RubricVersion,
    answer_evidence,
    answer_threats,
)
from casemgr.assessments.rubric import LEVELS, Rubric, parse_rubric
from casemgr.assessments.scoring import Score, check_points, score_answers
from casemgr.audit.log import Actor, record_event
from casemgr.cases.models import Case
from casemgr.cases.operations import check_version, touch_case
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import NotFound
from casemgr.evidence.models import EvidenceItem
from casemgr.threats.models import Threat
from casemgr.validation import Checks


@dataclass
class Answer:
    point: int
    rationale: str = ""
    threat_ids: list[int] = field(default_factory=list)
    evidence_ids: list[int] = field(default_factory=list)


@dataclass
class LevelOverride:
    level: str
    justification: str


def _checked(
    session: Session,
    case: Case,
    rubric: Rubric,
    answers: dict[str, Answer],
    override: LevelOverride | None,
) -> None:
    checks = Checks()
    for item_id, problem in check_points(rubric, {k: a.point for k, a in answers.items()}).items():
        checks.fail(f"answers.{item_id}", problem)
    for item_id, answer in answers.items():
        name = f"answers.{item_id}"
        rationale = checks.text(name, answer.rationale, max_length=10000)
        if answer.point and not rationale.strip():
            checks.fail(name, "Give the rationale for every answer above zero.")
        _check_links(session, checks, case, name, answer)
    if override is not None:
        checks.choice("override.level", override.level, LEVELS)
        checks.text(
            "override.justification", override.justification, max_length=10000, required=True
        )
    checks.done()


@cache
def _ids_on_case(model: type[Threat | EvidenceItem]) -> Select[tuple[int]]:
    return select(model.id).where(
        model.id.in_(bindparam("ids", expanding=True)), model.case_id == bindparam("case_id")
    )


def _check_links(session: Session, checks: Checks, case: Case, name: str, answer: Answer) -> None:
    for model, ids in ((Threat, answer.threat_ids), (EvidenceItem, answer.evidence_ids)):
        if not ids:
            continue
        found = set(session.scalars(_ids_on_case(model), {"ids": ids, "case_id": case.id}))
        if found != set(ids):
            checks.fail(
                name, f"Only {model.__tablename__.replace('_', ' ')} of this case can be linked."
            )


# Built once, as the selects below. The answers go in as a table's rows: the ORM's bulk
# insert would cost more than the statement itself.
_INSERT_ANSWERS = insert(AssessmentAnswer.__table__)
_ANSWER_IDS = select(AssessmentAnswer.item_id, AssessmentAnswer.id).where(
    AssessmentAnswer.assessment_id == bindparam("assessment_id"),
    AssessmentAnswer.item_id.in_(bindparam("items", expanding=True)),
)


def _store_answers(
    session: Session, assessment: Assessment, rubric: Rubric, answers: dict[str, Answer]
) -> None:
    """One row per rubric item, in the rubric's order (an item left out scores 0), written in
    one statement, then the link rows of the few answers that cite threats or evidence. Made
    as objects, the rows cost the unit of work more than the rest of the assessment."""
    rows = []
    for item in rubric.items.values():
        answer = answers.get(item.id, Answer(0))
        rows.append(
            {
                "assessment_id": assessment.id,
                "item_id": item.id,
                "point": answer.point,
                "rationale": answer.rationale,
            }
        )
    session.execute(_INSERT_ANSWERS, rows)
    citing = {
        item: answer for item, answer in answers.items() if answer.threat_ids or answer.evidence_ids
    }
    if citing:
        rows_of_citing = session.execute(
            _ANSWER_IDS, {"assessment_id": assessment.id, "items": list(citing)}
        )
        answer_ids = {item_id: answer_id for item_id, answer_id in rows_of_citing}
        threat_links = [
            {"answer_id": answer_ids[item], "threat_id": threat_id}
            for item, answer in citing.items()
            for threat_id in dict.fromkeys(answer.threat_ids)
        ]
        evidence_links = [
            {"answer_id": answer_ids[item], "evidence_id": evidence_id}
            for item, answer in citing.items()
            for evidence_id in dict.fromkeys(answer.evidence_ids)
        ]
        for table, links in ((answer_threats, threat_links), (answer_evidence, evidence_links)):
            if links:
                session.execute(table.insert(), links)
    # Read back from the rows on first use (a pending assessment has not loaded them yet).
    if inspect(assessment).persistent:
        session.expire(assessment, ["answers"])


def _keep_rubric(session: Session, rubric: Rubric) -> None:
    if session.get(RubricVersion, rubric.sha256) is None:
        session.add(
            RubricVersion(
                sha256=rubric.sha256,
                rubric_id=rubric.id,
                version=rubric.version,
                source=rubric.source,
                first_used_at=utcnow(),
            )
        )


def preview(rubric: Rubric, answers: dict[str, Answer]) -> Score:
    """The score and level the answers give, without saving anything."""
    return score_answers(rubric, {item_id: answer.point for item_id, answer in answers.items()})


def create_assessment(
    session: Session,
    actor: Actor,
    case: Case,
    rubric: Rubric,
    answers: dict[str, Answer],
    override: LevelOverride | None = None,
    expected_version: int | None = None,
) -> Assessment:
    """Score and store an assessment; it supersedes the case's last one and sets its
    concern level (the override's, when the analyst gave one with a justification)."""
    check_version(case, expected_version)
    _checked(session, case, rubric, answers, override)
    score = preview(rubric, answers)
    _keep_rubric(session, rubric)
    previous_id = session.scalar(_LATEST_ID, {"case_id": case.id})
    assessment = Assessment(
        case_id=case.id,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        score=score.score,
        computed_level=score.computed_level,
        level=override.level if override else score.computed_level,
        override_justification=override.justification.strip() if override else "",
        assessor_id=actor.user_id,
        supersedes_id=previous_id,
        created_at=utcnow(),
    )
    session.add(assessment)
    before = case.concern_level
    case.concern_level = assessment.level
    touch_case(case)
    flush_for_id(session, assessment)
    _store_answers(session, assessment, rubric, answers)
    record_event(
        session,
        actor,
        "assessment.create",
        "assessment",
        assessment.id,
        {
            "concern_level": {"old": before, "new": assessment.level},
            "score": {"old": None, "new": score.score},
            "rubric": {"old": None, "new": f"{rubric.id} v{rubric.version} {rubric.sha256[:12]}"},
        },
        case.ref,
    )
    return assessment


def latest_assessment(session: Session, case: Case) -> Assessment | None:
    return session.scalar(_LATEST, {"case_id": case.id})


# The newest assessment of a case, and its id alone (what a new one supersedes), built
# once: building a select took twice as long as running it, and a case's page or its next
# assessment runs one each time.
_LATEST = (
    select(Assessment)
    .where(Assessment.case_id == bindparam("case_id"))
    .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    .limit(1)
)
_LATEST_ID = _LATEST.with_only_columns(Assessment.id)


def latest_assessments(session: Session, case_ids: Collection[int]) -> dict[int, Assessment]:
    """The newest assessment of each case in `case_ids` (as `latest_assessment` finds it),
    by case id, in one query rather than one per case."""
    if not case_ids:
        return {}
    newest_first = func.row_number().over(
        partition_by=Assessment.case_id,
        order_by=(Assessment.created_at.desc(), Assessment.id.desc()),
    )
    ranked = (
        select(Assessment.id, newest_first.label("rank"))
        .where(Assessment.case_id.in_(case_ids))
        .subquery()
    )
    newest = session.scalars(
        select(Assessment).join(ranked, ranked.c.id == Assessment.id).where(ranked.c.rank == 1)
    )
    return {assessment.case_id: assessment for assessment in newest}


def assessments_of(session: Session, case: Case) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.created_at, Assessment.id)
        )
    )


def get_assessment(session: Session, case: Case, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None or assessment.case_id != case.id:
        raise NotFound("No such assessment on this case.")
    return assessment


@lru_cache(maxsize=64)
def _parsed(sha256: str, source: str) -> Rubric:
    return parse_rubric(source, f"stored rubric {sha256[:12]}")


def rubric_of(assessment: Assessment) -> Rubric:
    """The rubric exactly as it was when `assessment` was scored."""
    # Through the relationship, so a list that eager-loads it reads each text once.
    stored = assessment.stored_rubric
    return _parsed(stored.sha256, stored.source)
