"""Rubrics and assessments: the rubrics in use, and scoring a case with one of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casemgr.api.blueprint import api
from casemgr.api.case_output import current_case_on_conflict
from casemgr.api.common import caller
from casemgr.api.pagination import decode_cursor, encode_cursor, paginate
from casemgr.api.schemas import Body, ListQuery, Page, RowId, UTCTime
from casemgr.assessments.catalogue import current_catalogue
from casemgr.assessments.models import Assessment, AssessmentAnswer
from casemgr.assessments.operations import Answer, LevelOverride, create_assessment, rubric_of
from casemgr.assessments.rubric import LEVELS, Override, Rubric
from casemgr.assessments.scoring import score_answers
from casemgr.auth.current import request_actor
from casemgr.auth.permissions import authorize
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.errors import NotFound, ValidationFailed
from casemgr.extensions import db

Level = Literal[LEVELS]

# Rubrics


class RubricSummary(BaseModel):
    id: str
    version: str
    title: str
    description: str
    sha256: str = Field(description="SHA-256 of the rubric file's text")


class ScalePointOut(BaseModel):
    point: int
    label: str


class ItemOut(BaseModel):
    id: str
    label: str
    guidance: str
    weight: float
    scale: list[ScalePointOut]


class SectionOut(BaseModel):
    id: str
    title: str
    items: list[ItemOut]


class OverrideOut(BaseModel):
    item: str
    at_least: int
    level: str
    reason: str


class RubricOut(RubricSummary):
    sections: list[SectionOut]
    thresholds: dict[str, float] = Field(description="level -> lowest score (0-100) with it")
    overrides: list[OverrideOut]


def _summary(rubric: Rubric) -> RubricSummary:
    return RubricSummary(
        id=rubric.id,
        version=rubric.version,
        title=rubric.title,
        description=rubric.description,
        sha256=rubric.sha256,
    )


def _override_out(rule: Override) -> OverrideOut:
    return OverrideOut(item=rule.item, at_least=rule.at_least, level=rule.level, reason=rule.reason)


def _rubric_out(rubric: Rubric) -> RubricOut:
    sections = [
        SectionOut(
            id=section.id,
            title=section.title,
            items=[
                ItemOut(
                    id=item.id,
                    label=item.label,
                    guidance=item.guidance,
                    weight=item.weight,
                    scale=[ScalePointOut(point=p.point, label=p.label) for p in item.scale],
                )
                for item in section.items
            ],
        )
        for section in rubric.sections
    ]
    return RubricOut(
        **_summary(rubric).model_dump(),
        sections=sections,
        thresholds=dict(rubric.thresholds),
        overrides=[_override_out(rule) for rule in rubric.overrides],
    )


@api.route(
    "/rubrics",
    "GET",
    summary="The rubrics in use, by id (the highest version of each)",
    tag="assessments",
    query=ListQuery,
    response=Page[RubricSummary],
)
def list_rubrics(query: ListQuery) -> Page[RubricSummary]:
    authorize(caller(), "read")
    rubrics = sorted(current_catalogue().rubrics.values(), key=lambda rubric: rubric.id)
    if query.cursor:
        after = decode_cursor(query.cursor, 1)[0]
        rubrics = [rubric for rubric in rubrics if rubric.id > str(after)]
    page = rubrics[: query.limit]
    cursor = encode_cursor([page[-1].id]) if len(rubrics) > query.limit else None
    return Page[RubricSummary](items=[_summary(rubric) for rubric in page], next=cursor)


@api.route(
    "/rubrics/<rubric_id>",
    "GET",
    summary="One rubric with its sections, items, scales, thresholds and override rules",
    tag="assessments",
    response=RubricOut,
    errors=(404,),
)
def get_rubric(rubric_id: str) -> RubricOut:
    authorize(caller(), "read")
    rubric = current_catalogue().get(rubric_id)
    if rubric is None:
        raise NotFound(f"No rubric {rubric_id!r} is in use.")
    return _rubric_out(rubric)


# Assessments


class AnswerIn(Body):
    point: int = Field(strict=True, description="a point on the item's scale")
    rationale: str = Field(default="", description="required for every point above zero")
    threat_ids: list[RowId] = Field(default=[], description="threats of this case it rests on")
    evidence_ids: list[RowId] = Field(default=[], description="evidence of this case it rests on")


class OverrideIn(Body):
    level: Level
    justification: str


class AssessmentCreate(Body):
    rubric: str = Field(description="a rubric id from GET /rubrics")
    answers: dict[str, AnswerIn] = Field(description="by item id; items left out count as 0")
    override: OverrideIn | None = Field(default=None, description="the analyst's final level")
    version: RowId | None = Field(default=None, description="the case version the client saw")


class RubricRef(BaseModel):
    id: str
    version: str
    sha256: str


class AnswerOut(BaseModel):
    item_id: str
    label: str
    point: int
    point_label: str
    rationale: str
    threat_ids: list[int]
    evidence_ids: list[int]


class AssessmentOut(BaseModel):
    id: int
    case: str  # ref
    rubric: RubricRef
    score: float = Field(description="0 to 100")
    threshold_level: str = Field(description="the level the thresholds give the score")
    computed_level: str = Field(description="after the rubric's override rules")
    level: str = Field(description="final: the computed level, or the analyst's override")
    overridden: bool
    override_justification: str
    raised_by: list[OverrideOut] = Field(description="the override rules whose condition held")
    answers: list[AnswerOut]
    assessor: str | None  # username
    created_at: UTCTime
    supersedes_id: int | None


def _assessment_out(case: Case, assessment: Assessment) -> AssessmentOut:
    # Explained by the rubric as it was scored, whatever its file says today.
    rubric = rubric_of(assessment)
    items = rubric.items
    score = score_answers(rubric, {answer.item_id: answer.point for answer in assessment.answers})
    assessor = assessment.assessor
    return AssessmentOut(
        id=assessment.id,
        case=case.ref,
        rubric=RubricRef(
            id=assessment.rubric_id,
            version=assessment.rubric_version,
            sha256=assessment.rubric_sha256,
        ),
        score=assessment.score,
        threshold_level=score.threshold_level,
        computed_level=assessment.computed_level,
        level=assessment.level,
        overridden=bool(assessment.override_justification),
        override_justification=assessment.override_justification,
        raised_by=[_override_out(rule) for rule in score.raised_by],
        answers=[
            AnswerOut(
                item_id=answer.item_id,
                label=items[answer.item_id].label,
                point=answer.point,
                point_label=items[answer.item_id].label_of(answer.point),
                rationale=answer.rationale,
                threat_ids=sorted(threat.id for threat in answer.threats),
                evidence_ids=sorted(item.id for item in answer.evidence),
            )
            for answer in assessment.answers
        ],
        assessor=assessor.username if assessor else None,
        created_at=assessment.created_at,
        supersedes_id=assessment.supersedes_id,
    )


@api.route(
    "/cases/<ref>/assessments",
    "GET",
    summary="A case's assessments, newest (the current one) first",
    tag="assessments",
    query=ListQuery,
    response=Page[AssessmentOut],
    errors=(404,),
)
def list_assessments(ref: str, query: ListQuery) -> Page[AssessmentOut]:
    case = get_case_or_404(db.session, ref, caller())
    statement = (
        select(Assessment)
        .where(Assessment.case_id == case.id)
        .options(
            selectinload(Assessment.answers).selectinload(AssessmentAnswer.threats),
            selectinload(Assessment.answers).selectinload(AssessmentAnswer.evidence),
            selectinload(Assessment.stored_rubric),
            selectinload(Assessment.assessor),
        )
    )
    keys = [Assessment.created_at, Assessment.id]
    assessments, cursor = paginate(db.session, statement, keys, query, descending=True)
    return Page[AssessmentOut](
        items=[_assessment_out(case, assessment) for assessment in assessments], next=cursor
    )


def _answers(body: AssessmentCreate) -> dict[str, Answer]:
    return {
        item_id: Answer(answer.point, answer.rationale, answer.threat_ids, answer.evidence_ids)
        for item_id, answer in body.answers.items()
    }


@api.route(
    "/cases/<ref>/assessments",
    "POST",
    summary="Assess a case with a rubric; the new assessment sets the case's concern level",
    tag="assessments",
    body=AssessmentCreate,
    response=AssessmentOut,
    status=201,
    errors=(403, 404, 409),
)
def assess_case(ref: str, body: AssessmentCreate) -> AssessmentOut:
    case = get_case_or_404(db.session, ref, caller(), "assessment.create")
    catalogue = current_catalogue()
    rubric = catalogue.get(body.rubric)
    if rubric is None:
        known = ", ".join(sorted(catalogue.rubrics)) or "none"
        raise ValidationFailed({"rubric": [f"No rubric {body.rubric!r} is in use ({known})."]})
    override = None
    if body.override is not None:
        override = LevelOverride(body.override.level, body.override.justification)
    with current_case_on_conflict(db.session):
        assessment = create_assessment(
            db.session,
            request_actor(),
            case,
            rubric,
            _answers(body),
            override,
            body.version,
        )
    return _assessment_out(case, assessment)
