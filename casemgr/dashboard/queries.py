"""What the dashboard shows a user: the work that needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, Select, cast, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from casemgr.assessments.models import Assessment
from casemgr.auth.models import User
from casemgr.auth.permissions import visible_case_condition
from casemgr.cases.models import Case, Handoff, Task
from casemgr.cases.workflow import LEAD_ROLES
from casemgr.db import utcnow
from casemgr.threats.models import Threat

NEW_THREAT_WINDOW = timedelta(days=7)
WEEKS = 26
LIMIT = 20


def handoffs_waiting(session: Session, user: User) -> list[Handoff]:
    # Visible cases only: a receiver taken off a restricted case keeps the pending row.
    return list(
        session.scalars(
            select(Handoff)
            .join(Case, Case.id == Handoff.case_id)
            .where(
                Handoff.to_user_id == user.id,
                Handoff.status == "pending",
                visible_case_condition(user),
            )
            .options(selectinload(Handoff.case), selectinload(Handoff.from_user))
            .order_by(Handoff.created_at)
        )
    )


def _open_cases(user: User) -> Select[tuple[Case]]:
    """Open cases this user answers for: their own, or every visible one for leads."""
    statement = select(Case).where(Case.status != "closed", visible_case_condition(user))
    if user.role not in LEAD_ROLES:
        statement = statement.where(Case.owner_id == user.id)
    return statement


def my_open_cases(session: Session, user: User) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .where(Case.owner_id == user.id, Case.status != "closed")
            .order_by(Case.next_review_at.is_(None), Case.next_review_at)
            .limit(LIMIT)
        )
    )


def overdue_reviews(session: Session, user: User, now: datetime) -> list[Case]:
    return list(
        session.scalars(
            _open_cases(user)
            .where(Case.next_review_at < now)
            .order_by(Case.next_review_at)
            .limit(LIMIT)
        )
    )


def overdue_tasks(session: Session, user: User, now: datetime) -> list[tuple[Task, str]]:
    # Visible cases only: a task's owner may not be (or no longer be) in a restricted case.
    return list(
        session.execute(
            select(Task, Case.ref)
            .join(Case, Case.id == Task.case_id)
            .where(
                Task.owner_id == user.id,
                Task.status == "open",
                Task.due_at < now,
                visible_case_condition(user),
            )
            .order_by(Task.due_at)
            .limit(LIMIT)
        )
    )


def unassessed_cases(session: Session, user: User) -> list[Case]:
    return list(
        session.scalars(
            _open_cases(user)
            .where(Case.concern_level.is_(None))
            .order_by(Case.created_at)
            .limit(LIMIT)
        )
    )


def reassessment_due(session: Session, user: User, now: datetime) -> list[tuple[Case, bool]]:
    """Assessed open cases whose review date has passed or that had a threat logged after
    their last assessment; with True when a newer threat is the reason."""
    last_assessed = (
        select(func.max(Assessment.created_at))
        .where(Assessment.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    newer_threat = exists().where(Threat.case_id == Case.id, Threat.created_at > last_assessed)
    rows = session.execute(
        _open_cases(user)
        .add_columns(newer_threat.label("newer_threat"))
        .where(last_assessed.is_not(None), or_(Case.next_review_at < now, newer_threat))
        .order_by(Case.next_review_at.is_(None), Case.next_review_at, Case.ref)
        .limit(LIMIT)
    )
    return [(case, bool(newer)) for case, newer in rows]


def new_threats(session: Session, user: User, now: datetime) -> list[tuple[Threat, str]]:
    """Threats logged by others in the last week on cases this user owns."""
    return list(
        session.execute(
            select(Threat, Case.ref)
            .join(Case, Case.id == Threat.case_id)
            .where(
                Case.owner_id == user.id,
                Threat.created_at > now - NEW_THREAT_WINDOW,
                Threat.created_by_id.is_distinct_from(user.id),
            )
            .order_by(Threat.created_at.desc())
            .limit(LIMIT)
        )
    )


def concern_counts(session: Session, user: User) -> dict[str | None, int]:
    rows = session.execute(
        select(Case.concern_level, func.count())
        .where(Case.status != "closed", visible_case_condition(user))
        .group_by(Case.concern_level)
    )
    return {level: count for level, count in rows}


def _week_index(session: Session, start: datetime) -> ColumnElement[int]:
    """SQL for the number of whole weeks between `start` and a threat's time."""
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Threat.occurred_at - start)
    else:
        naive_start = start.replace(tzinfo=None).isoformat(sep=" ")
        seconds = (func.julianday(Threat.occurred_at) - func.julianday(naive_start)) * 86400
    return cast(func.floor(seconds / (7 * 86400)), Integer)


def threats_per_week(session: Session, user: User, now: datetime) -> list[int]:
    """Threat counts on visible cases for each of the last 26 weeks, oldest first."""
    start = now - timedelta(weeks=WEEKS)
    week = _week_index(session, start).label("week")
    rows = session.execute(
        select(week, func.count())
        .select_from(Threat)
        .join(Case, Case.id == Threat.case_id)
        .where(Threat.occurred_at >= start, Threat.occurred_at < now, visible_case_condition(user))
        .group_by(week)
    )
    counts = [0] * WEEKS
    for index, count in rows:
        if index is not None and 0 <= int(index) < WEEKS:
            counts[int(index)] += count
    return counts


@dataclass
class Dashboard:
    handoffs: list[Handoff]
    my_cases: list[Case]
    overdue_reviews: list[Case]
    overdue_tasks: list[tuple[Task, str]]
    unassessed: list[Case]
    reassess: list[tuple[Case, bool]]
    new_threats: list[tuple[Threat, str]]
    concern: dict[str | None, int]
    weekly: list[int]
    now: datetime


def dashboard(session: Session, user: User) -> Dashboard:
    now = utcnow()
    return Dashboard(
        handoffs=handoffs_waiting(session, user),
        my_cases=my_open_cases(session, user),
        overdue_reviews=overdue_reviews(session, user, now),
        overdue_tasks=overdue_tasks(session, user, now),
        unassessed=unassessed_cases(session, user),
        reassess=reassessment_due(session, user, now),
        new_threats=new_threats(session, user, now),
        concern=concern_counts(session, user),
        weekly=threats_per_week(session, user, now),
        now=now,
    )
