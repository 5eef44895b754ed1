"""Cases: the list with its filters, opening, reading, editing and moving a case."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Literal

from pydantic import Field
from sqlalchemy.orm import selectinload

from casemgr.api.blueprint import api
from casemgr.api.case_output import CaseOut, case_out, cases_out, current_case_on_conflict
from casemgr.api.common import caller, user_named
from casemgr.api.pagination import paginate
from casemgr.api.schemas import Body, ListQuery, Page, RowId, SentTime, unchanged_when_absent
from casemgr.auth.current import request_actor
from casemgr.auth.permissions import authorize
from casemgr.cases.access import get_case_or_404
from casemgr.cases.listing import NOT_ASSESSED, CaseFilters, filtered_cases, sorted_cases
from casemgr.cases.models import CASE_STATUSES, CONCERN_LEVELS, PRIORITIES, Case, CaseMember
from casemgr.cases.operations import (
    CaseDetails,
    assign_case,
    create_case,
    transition_case,
    update_case,
)
from casemgr.extensions import db
from casemgr.people.visibility import refuse_hidden_subjects

Status = Literal[CASE_STATUSES]
Priority = Literal[PRIORITIES]
Concern = Literal[(*CONCERN_LEVELS, NOT_ASSESSED)]


class CaseQuery(ListQuery):
    """Filters of the case list; newest cases first."""

    status: Status | None = None
    owner: str | None = Field(default=None, max_length=64, description="a username")
    protectee_id: RowId | None = None
    subject_id: RowId | None = None
    concern: Concern | None = Field(default=None, description='a level, or "none"')
    overdue: bool = False
    q: str | None = Field(default=None, max_length=500, description="full text, any script")


class CaseCreate(Body):
    title: str
    summary: str = ""
    priority: Priority = "normal"
    restricted: bool = False
    next_review_at: SentTime | None = None
    protectee_ids: list[RowId] = []
    subject_ids: list[RowId] = []
    members: list[str] = Field(default=[], description="usernames")


class CasePatch(Body):
    """Only the fields sent change; `version` is the case version the client saw."""

    version: RowId
    title: str = unchanged_when_absent()
    summary: str = unchanged_when_absent()
    priority: Priority = unchanged_when_absent()
    restricted: bool = unchanged_when_absent()
    next_review_at: SentTime | None = None
    protectee_ids: list[RowId] = unchanged_when_absent()
    subject_ids: list[RowId] = unchanged_when_absent()
    members: list[str] = unchanged_when_absent(description="usernames")
    owner: str = unchanged_when_absent(description="a username; assigning is a lead's action")


class TransitionRequest(Body):
    to: Status
    reason: str
    version: RowId | None = None


_DETAIL_FIELDS = frozenset(field.name for field in fields(CaseDetails))


@api.route(
    "/cases",
    "GET",
    summary="Cases visible to the caller, filtered",
    tag="cases",
    query=CaseQuery,
    response=Page[CaseOut],
)
def list_cases(query: CaseQuery) -> Page[CaseOut]:
    user = caller()
    authorize(user, "read")
    filters = CaseFilters(
        status=query.status,
        owner=query.owner,
        protectee_id=query.protectee_id,
        subject_id=query.subject_id,
        concern=query.concern,
        overdue=query.overdue,
        q=query.q,
    )
    statement = sorted_cases(filtered_cases(db.session, user, filters), "created").options(
        selectinload(Case.members).selectinload(CaseMember.user)
    )
    cases, cursor = paginate(
        db.session, statement, [Case.created_at, Case.id], query, descending=True
    )
    return Page[CaseOut](items=cases_out(db.session, cases), next=cursor)


@api.route(
    "/cases",
    "POST",
    summary="Open a case, owned by the caller",
    tag="cases",
    body=CaseCreate,
    response=CaseOut,
    status=201,
    errors=(403,),
)
def open_case(body: CaseCreate) -> CaseOut:
    user = caller()
    authorize(user, "case.create")
    refuse_hidden_subjects(db.session, user, body.subject_ids, "subject_ids")
    details = CaseDetails(**body.model_dump(include=_DETAIL_FIELDS))
    case = create_case(db.session, request_actor(), user, details)
    return case_out(db.session, case)


@api.route("/cases/<ref>", "GET", summary="One case", tag="cases", response=CaseOut, errors=(404,))
def get_case(ref: str) -> CaseOut:
    return case_out(db.session, get_case_or_404(db.session, ref, caller()))


def _details_of(case: Case) -> CaseDetails:
    return CaseDetails(
        title=case.title,
        summary=case.summary,
        priority=case.priority,
        restricted=case.restricted,
        next_review_at=case.next_review_at,
        protectee_ids=[protectee.id for protectee in case.protectees],
        subject_ids=[subject.id for subject in case.subjects],
        members=[member.user.username for member in case.members if member.user],
    )


@api.route(
    "/cases/<ref>",
    "PATCH",
    summary="Edit a case (and, for leads, assign it)",
    tag="cases",
    body=CasePatch,
    response=CaseOut,
    errors=(403, 404, 409),
)
def edit_case(ref: str, body: CasePatch) -> CaseOut:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "case.edit")
    given = body.model_fields_set
    owner = None
    if "owner" in given:
        authorize(user, "case.assign", case)
        owner = user_named(db.session, body.owner, "owner")
    if "subject_ids" in given:
        refuse_hidden_subjects(db.session, user, body.subject_ids, "subject_ids")
    changes = {name: getattr(body, name) for name in given & _DETAIL_FIELDS}
    with current_case_on_conflict(db.session):
        update_case(
            db.session, request_actor(), case, replace(_details_of(case), **changes), body.version
        )
    if owner is not None:
        assign_case(db.session, request_actor(), case, owner)
    return case_out(db.session, case)


@api.route(
    "/cases/<ref>/transitions",
    "POST",
    summary="Move a case through the workflow",
    tag="cases",
    body=TransitionRequest,
    response=CaseOut,
    errors=(403, 404, 409),
)
def move_case(ref: str, body: TransitionRequest) -> CaseOut:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "case.transition")
    with current_case_on_conflict(db.session):
        transition_case(
            db.session, request_actor(), user.role, case, body.to, body.reason, body.version
        )
    return case_out(db.session, case)
