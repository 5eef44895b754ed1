"""The work around a case: handoffs, tasks, referrals, and the case timeline."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from casemgr.api.blueprint import api
from casemgr.api.case_output import current_case_on_conflict
from casemgr.api.common import caller, find_user, user_named
from casemgr.api.schemas import Body, RowId, SentTime, UTCTime
from casemgr.auth.current import request_actor
from casemgr.auth.models import User
from casemgr.cases.access import get_case_or_404
from casemgr.cases.actions import (
    ReferralDetails,
    create_task,
    get_task,
    refer_case,
    set_task_status,
)
from casemgr.cases.handoffs import (
    Brief,
    accept_handoff,
    check_receiver,
    create_handoff,
    decline_handoff,
    get_handoff,
)
from casemgr.cases.models import TASK_STATUSES, Case, Handoff, Referral, Task
from casemgr.cases.timeline import case_timeline
from casemgr.extensions import db
from casemgr.people.visibility import authorize_through_case


def _username(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.username if user else None


# Handoffs


class BriefIn(Body):
    situation: str
    concern: str
    next_steps: str


class HandoffCreate(Body):
    to_user: str
    brief: BriefIn
    version: RowId | None = None


class DeclineRequest(Body):
    reason: str


class BriefOut(BaseModel):
    situation: str
    concern: str
    next_steps: str


class HandoffOut(BaseModel):
    id: int
    case: str  # ref
    status: str
    from_user: str | None
    to_user: str | None
    brief: BriefOut
    open_tasks: str
    review_at: UTCTime | None
    decline_reason: str
    created_at: UTCTime
    responded_at: UTCTime | None


def _handoff_out(handoff: Handoff) -> HandoffOut:
    db.session.flush()
    return HandoffOut(
        id=handoff.id,
        case=handoff.case.ref,
        status=handoff.status,
        from_user=_username(handoff.from_user_id),
        to_user=_username(handoff.to_user_id),
        brief=BriefOut(
            situation=handoff.situation, concern=handoff.concern, next_steps=handoff.next_steps
        ),
        open_tasks=handoff.open_tasks,
        review_at=handoff.review_at,
        decline_reason=handoff.decline_reason,
        created_at=handoff.created_at,
        responded_at=handoff.responded_at,
    )


@api.route(
    "/cases/<ref>/handoffs",
    "POST",
    summary="Offer the case to another user with a written brief",
    tag="handoffs",
    body=HandoffCreate,
    response=HandoffOut,
    status=201,
    errors=(403, 404, 409),
)
def offer_handoff(ref: str, body: HandoffCreate) -> HandoffOut:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "handoff.own")
    brief = Brief(body.brief.situation, body.brief.concern, body.brief.next_steps)
    receiver = find_user(db.session, body.to_user)
    with current_case_on_conflict(db.session):
        handoff = create_handoff(
            db.session, request_actor(), user, case, receiver, brief, body.version
        )
    return _handoff_out(handoff)


def _answerable_handoff(handoff_id: int) -> tuple[User, Handoff]:
    user = caller()
    handoff = get_handoff(db.session, handoff_id)
    authorize_through_case(user, "handoff.own", handoff.case, "handoff")
    return user, handoff


@api.route(
    "/handoffs/<int:handoff_id>/accept",
    "POST",
    summary="Take the case handed to you; only now does its owner change",
    tag="handoffs",
    response=HandoffOut,
    errors=(403, 404, 409),
)
def accept(handoff_id: int) -> HandoffOut:
    user, handoff = _answerable_handoff(handoff_id)
    return _handoff_out(accept_handoff(db.session, request_actor(), user, handoff))


@api.route(
    "/handoffs/<int:handoff_id>/decline",
    "POST",
    summary="Decline the case handed to you, saying why",
    tag="handoffs",
    body=DeclineRequest,
    response=HandoffOut,
    errors=(403, 404, 409),
)
def decline(handoff_id: int, body: DeclineRequest) -> HandoffOut:
    user, handoff = _answerable_handoff(handoff_id)
    check_receiver(user, handoff, "decline")  # refused before the body is read
    return _handoff_out(decline_handoff(db.session, request_actor(), user, handoff, body.reason))


# Tasks


class TaskCreate(Body):
    title: str
    owner: str | None = None  # username
    due_at: SentTime | None = None


class TaskPatch(Body):
    status: Literal[TASK_STATUSES]


class TaskOut(BaseModel):
    id: int
    case: str
    title: str
    owner: str | None
    due_at: UTCTime | None
    status: str
    created_by: str | None
    created_at: UTCTime
    completed_at: UTCTime | None


def _task_out(case: Case, task: Task) -> TaskOut:
    db.session.flush()
    return TaskOut(
        id=task.id,
        case=case.ref,
        title=task.title,
        owner=_username(task.owner_id),
        due_at=task.due_at,
        status=task.status,
        created_by=_username(task.created_by_id),
        created_at=task.created_at,
        completed_at=task.completed_at,
    )


@api.route(
    "/cases/<ref>/tasks",
    "POST",
    summary="Add a protective action to a case",
    tag="tasks",
    body=TaskCreate,
    response=TaskOut,
    status=201,
    errors=(403, 404),
)
def add_task(ref: str, body: TaskCreate) -> TaskOut:
    case = get_case_or_404(db.session, ref, caller(), "task.manage")
    owner = user_named(db.session, body.owner, "owner")
    task = create_task(db.session, request_actor(), case, body.title, owner, body.due_at)
    return _task_out(case, task)


@api.route(
    "/cases/<ref>/tasks/<int:task_id>",
    "PATCH",
    summary="Mark a task done, cancelled or open again",
    tag="tasks",
    body=TaskPatch,
    response=TaskOut,
    errors=(403, 404),
)
def change_task(ref: str, task_id: int, body: TaskPatch) -> TaskOut:
    case = get_case_or_404(db.session, ref, caller(), "task.manage")
    task = get_task(db.session, case, task_id)
    return _task_out(case, set_task_status(db.session, request_actor(), case, task, body.status))


# Referrals


class ReferralCreate(Body):
    agency: str
    unit: str = ""
    officer: str = ""
    contact: str = ""
    reference: str = ""
    referred_at: SentTime | None = None
    notes: str = ""
    version: RowId | None = None


class ReferralOut(BaseModel):
    id: int
    case: str
    agency: str
    unit: str
    officer: str
    contact: str
    reference: str
    referred_at: UTCTime
    notes: str
    created_by: str | None
    created_at: UTCTime
    case_status: str
    case_version: int


@api.route(
    "/cases/<ref>/referrals",
    "POST",
    summary="Refer the case to a law-enforcement agency (the case becomes referred)",
    tag="referrals",
    body=ReferralCreate,
    response=ReferralOut,
    status=201,
    errors=(403, 404, 409),
)
def refer(ref: str, body: ReferralCreate) -> ReferralOut:
    user = caller()
    case = get_case_or_404(db.session, ref, user, "case.refer")
    details = ReferralDetails(**body.model_dump(exclude={"version"}))
    with current_case_on_conflict(db.session):
        referral: Referral = refer_case(
            db.session, request_actor(), user.role, case, details, body.version
        )
    db.session.flush()
    return ReferralOut(
        **{name: getattr(referral, name) for name in ReferralDetails.__dataclass_fields__},
        id=referral.id,
        case=case.ref,
        created_by=_username(referral.created_by_id),
        created_at=referral.created_at,
        case_status=case.status,
        case_version=case.version,
    )


# Timeline


class TimelineItem(BaseModel):
    at: UTCTime
    kind: str
    summary: str
    actor: str | None
    details: dict[str, Any]


class Timeline(BaseModel):
    items: list[TimelineItem]  # the whole timeline, oldest first
    next: None = None


@api.route(
    "/cases/<ref>/timeline",
    "GET",
    summary="Everything that happened to a case, oldest first",
    tag="cases",
    response=Timeline,
    errors=(404,),
)
def timeline(ref: str) -> Timeline:
    case = get_case_or_404(db.session, ref, caller())
    entries = case_timeline(db.session, case)
    return Timeline(
        items=[
            TimelineItem(
                at=entry.at,
                kind=entry.kind,
                summary=entry.summary,
                actor=entry.actor,
                details=entry.details,
            )
            for entry in entries
        ]
    )
