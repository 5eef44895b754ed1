"""What the dashboard shows a user: the work that needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    Select,
    and_,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, contains_eager, selectinload

from casemgr.assessments.models import Assessment
from casemgr.assessments.operations import latest_assessments
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
            # The case comes with the join the visibility rule needs anyway.
            .options(contains_eager(Handoff.case), selectinload(Handoff.from_user))
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
            .order_by(Case.next_review_at.asc().nulls_last())
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


class Reassessment(NamedTuple):
    case: Case
    newer_threat: bool  # a threat was logged after the last assessment
    latest: Assessment | None


def reassessment_due(session: Session, user: User, now: datetime) -> list[Reassessment]:
    """Assessed open cases whose review date has passed or that had a threat logged after
    their last assessment, each with its latest assessment (the table shows its date and
    rubric), fetched for all the rows at once."""
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
        # Undated cases last, written so the next_review_at index gives the order.
        .order_by(Case.next_review_at.asc().nulls_last(), Case.ref)
        .limit(LIMIT)
    )
    due = [(case, bool(newer)) for case, newer in rows]
    latest = latest_assessments(session, [case.id for case, _ in due])
    return [Reassessment(case, newer, latest.get(case.id)) for case, newer in due]


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


def _threats_between(start: datetime, end: datetime) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Threat)
        .where(Threat.occurred_at >= start, Threat.occurred_at < end)
        .scalar_subquery()
    )


def _hidden_threats_per_week(
    session: Session, user: User, start: datetime, now: datetime
) -> list[tuple[int | None, int]]:
    """(week, count) of the threats since `start` on cases `user` may not see; a case the
    visibility rule leaves undecided (NULL) is not seen, as in any WHERE."""
    if user.role in LEAD_ROLES:
        return []  # leads see every case
    hidden = and_(Case.restricted.is_(True), ~func.coalesce(visible_case_condition(user), false()))
    week = _week_index(session, start).label("week")
    return list(
        session.execute(
            select(week, func.count())
            .select_from(Case)
            .join(Threat, Threat.case_id == Case.id)
            .where(hidden, Threat.occurred_at >= start, Threat.occurred_at < now)
            .group_by(week)
        )
    )


def threats_per_week(session: Session, user: User, now: datetime) -> list[int]:
    """Threat counts on visible cases for each of the last 26 weeks, oldest first.

    Every threat of a week is counted from the occurred_at index alone (a range per week:
    no join, no arithmetic per row), then those on the few cases the user may not see are
    taken off. Joined to their cases instead, half a million threats took seconds."""
    start = now - timedelta(weeks=WEEKS)
    edges = [start + timedelta(weeks=week) for week in range(WEEKS + 1)]
    weeks = select(*(_threats_between(begin, end) for begin, end in pairwise(edges)))
    counts = list(session.execute(weeks).one())
    for index, count in _hidden_threats_per_week(session, user, start, now):
        if index is not None and 0 <= int(index) < WEEKS:
            counts[int(index)] -= count
    return counts


@dataclass
class Dashboard:
    handoffs: list[Handoff]
    my_cases: list[Case]
    overdue_reviews: list[Case]
    overdue_tasks: list[tuple[Task, str]]
    unassessed: list[Case]
    reassess: list[Reassessment]
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
