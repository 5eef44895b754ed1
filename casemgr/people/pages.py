"""What the people pages show beside a service's objects: the cases a user may see, the
subjects around a subject (merged, members), and its accounts as a timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.permissions import visible_case_condition
from casemgr.cases.models import Case, case_subjects
from casemgr.people.models import Account, Subject
from casemgr.people.visibility import shown_affiliations, visible_subjects


def linked_cases(session: Session, link: Column[int], linked_id: int, user: User) -> list[Case]:
    """The cases linked through `link` (a column of case_protectees or case_subjects) to
    `linked_id` that `user` may see, newest first."""
    statement = (
        select(Case)
        .join(link.table, link.table.c.case_id == Case.id)
        .where(link == linked_id, visible_case_condition(user))
        .order_by(Case.created_at.desc())
    )
    return list(session.scalars(statement))


def first_seen_order(account: Account) -> tuple[bool, datetime, int]:
    """Oldest first; accounts with no first-seen date last, on every database."""
    return (
        account.first_seen is None,
        account.first_seen or datetime.max.replace(tzinfo=UTC),
        account.id,
    )


def opened_after_suspension(accounts: list[Account]) -> set[int]:
    """The ids of accounts first seen after one of the subject's accounts was suspended
    (the "for every suspended account we open new ones" pattern)."""
    suspensions = [account.suspended_at for account in accounts if account.suspended_at]
    if not suspensions:
        return set()
    first_suspension = min(suspensions)
    return {
        account.id
        for account in accounts
        if account.first_seen is not None and account.first_seen > first_suspension
    }


def subject_context(session: Session, subject: Subject, user: User) -> dict[str, Any]:
    """The subject page's content, beyond the subject itself."""
    accounts = sorted(subject.accounts, key=first_seen_order)
    merged_into = session.get(Subject, subject.merged_into_id) if subject.merged_into_id else None
    # Only subjects the user may see: a member known from a restricted case stays in it.
    merged_here = visible_subjects(user).where(Subject.merged_into_id == subject.id)
    members = visible_subjects(user).where(
        Subject.affiliation_id == subject.id, Subject.merged_into_id.is_(None)
    )
    return {
        "affiliation": shown_affiliations(session, user, [subject]).get(subject.id),
        "accounts": accounts,
        "after_suspension": opened_after_suspension(accounts),
        "merged_into": merged_into,
        "merged_here": list(session.scalars(merged_here.order_by(Subject.merged_at))),
        "members": list(session.scalars(members.order_by(Subject.name))),
        "cases": linked_cases(session, case_subjects.c.subject_id, subject.id, user),
    }
