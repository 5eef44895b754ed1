"""What a caller may see beyond the cases themselves. Subjects, accounts and threats follow
the visibility of the cases they belong to, through the one case rule
(`can_see_case` / `visible_case_condition`), so a restricted case leaks nothing by id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.permissions import authorize, can_see_case, visible_case_condition
from casemgr.cases.models import Case, case_subjects
from casemgr.errors import NotFound, ValidationFailed
from casemgr.people.models import Account, Subject
from casemgr.threats.models import Threat


def visible_subject_condition(user: User) -> ColumnElement[bool]:
    """A subject on no case is visible to everyone; one linked to cases (directly, or by a
    threat from one of its accounts) is visible when at least one of those cases is."""
    linked = exists().where(case_subjects.c.subject_id == Subject.id)
    linked_visible = exists().where(
        case_subjects.c.subject_id == Subject.id,
        case_subjects.c.case_id == Case.id,
        visible_case_condition(user),
    )
    threatened = exists().where(Threat.account_id == Account.id, Account.subject_id == Subject.id)
    threatened_visible = exists().where(
        Threat.account_id == Account.id,
        Account.subject_id == Subject.id,
        Threat.case_id == Case.id,
        visible_case_condition(user),
    )
    return or_(and_(~linked, ~threatened), linked_visible, threatened_visible)


def visible_subjects(user: User) -> Select[tuple[Subject]]:
    return select(Subject).where(visible_subject_condition(user))


def _hidden(session: Session, user: User, subject_ids: Iterable[int]) -> list[int]:
    """The ids among `subject_ids` that are unknown or not visible to `user`."""
    wanted = set(subject_ids)
    if not wanted:
        return []
    shown = set(
        session.scalars(
            select(Subject.id).where(Subject.id.in_(wanted), visible_subject_condition(user))
        )
    )
    return sorted(wanted - shown)


def shown_affiliations(
    session: Session, user: User, subjects: Iterable[Subject]
) -> dict[int, Subject]:
    """The affiliation of each subject (by the subject's id) that `user` may see: a group
    known only from a restricted case is not named beside a subject seen elsewhere."""
    linked = [subject for subject in subjects if subject.affiliation_id is not None]
    hidden = set(_hidden(session, user, {subject.affiliation_id for subject in linked}))
    return {s.id: s.affiliation for s in linked if s.affiliation_id not in hidden}


def visible_subject(session: Session, user: User, subject_id: int) -> Subject:
    """The subject, or NotFound when it does not exist or the caller may not see it."""
    subject = session.get(Subject, subject_id)
    if subject is None or _hidden(session, user, [subject_id]):
        raise NotFound("No such subject.")
    return subject


def visible_account(session: Session, user: User, account_id: int) -> Account:
    """The account, or NotFound when it does not exist or its subject is hidden."""
    account = session.get(Account, account_id)
    if account is None or _hidden(session, user, [account.subject_id]):
        raise NotFound("No such account.")
    return account


def refuse_hidden_subjects(
    session: Session, user: User, subject_ids: Iterable[int], field: str
) -> None:
    """Refuse a body naming subjects that do not exist or that the caller may not see, with
    one answer for both (so hidden ids cannot be told from unknown ones)."""
    hidden = _hidden(session, user, subject_ids)
    if hidden:
        raise ValidationFailed({field: [f"Unknown id: {', '.join(map(str, hidden))}."]})


def refuse_hidden_account(session: Session, user: User, account_id: int | None) -> None:
    if account_id is None:
        return
    account = session.get(Account, account_id)
    if account is not None and _hidden(session, user, [account.subject_id]):
        raise ValidationFailed({"account_id": ["No such account."]})


def authorize_through_case(user: User, permission: str, case: Case, what: str) -> None:
    """For objects of a case (threats, handoffs): NotFound naming `what` when the caller
    may not see the case, PermissionDenied when their role may not do this."""
    if not can_see_case(user, case):
        raise NotFound(f"No such {what}.")
    authorize(user, permission, case)
