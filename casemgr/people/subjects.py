"""Subjects of concern, their aliases and accounts, and merging two found to be one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.auth.models import User
from casemgr.cases.models import case_subjects
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import Conflict, NotFound
from casemgr.people.models import ACCOUNT_STATUSES, SUBJECT_KINDS, Account, Subject, SubjectAlias
from casemgr.validation import Checks


@dataclass
class SubjectDetails:
    name: str
    kind: str = "unknown"
    description: str = ""
    aliases: list[str] = field(default_factory=list)
    affiliation_id: int | None = None


@dataclass
class AccountDetails:
    platform: str
    handle: str
    url: str = ""
    platform_account_id: str = ""
    status: str = "active"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suspended_at: datetime | None = None
    notes: str = ""


def get_subject(session: Session, subject_id: int) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("No such subject.")
    return subject


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def _checked_subject(session: Session, details: SubjectDetails, subject_id: int | None) -> dict:
    checks = Checks()
    aliases = []
    for alias in details.aliases:
        alias = checks.text("aliases", alias, max_length=200).strip()
        if alias and alias not in aliases and alias != details.name.strip():
            aliases.append(alias)
    values = {
        "name": checks.text("name", details.name, max_length=200, required=True).strip(),
        "kind": checks.choice("kind", details.kind, SUBJECT_KINDS),
        "description": checks.text("description", details.description, max_length=20000),
        "affiliation_id": details.affiliation_id,
    }
    if details.affiliation_id is not None:
        if details.affiliation_id == subject_id:
            checks.fail("affiliation_id", "A subject cannot be affiliated with itself.")
        elif session.get(Subject, details.affiliation_id) is None:
            checks.fail("affiliation_id", "No such subject.")
    checks.done()
    return values | {"aliases": aliases}


def _set_aliases(subject: Subject, aliases: list[str]) -> dict:
    before = [alias.alias for alias in subject.aliases]
    if sorted(before) == sorted(aliases):
        return {}
    subject.aliases = [
        next((kept for kept in subject.aliases if kept.alias == alias), None)
        or SubjectAlias(alias=alias)
        for alias in aliases
    ]
    return {"aliases": {"old": sorted(before), "new": sorted(aliases)}}


def create_subject(session: Session, actor: Actor, details: SubjectDetails) -> Subject:
    values = _checked_subject(session, details, None)
    now = utcnow()
    subject = Subject(created_at=now, updated_at=now)
    aliases = values.pop("aliases")
    changes = apply_changes(subject, values) | _set_aliases(subject, aliases)
    session.add(subject)
    flush_for_id(session, subject)
    record_event(session, actor, "subject.create", "subject", subject.id, changes)
    return subject


def update_subject(
    session: Session, actor: Actor, subject: Subject, details: SubjectDetails
) -> Subject:
    values = _checked_subject(session, details, subject.id)
    aliases = values.pop("aliases")
    changes = apply_changes(subject, values) | _set_aliases(subject, aliases)
    if changes:
        subject.updated_at = utcnow()
        record_event(session, actor, "subject.update", "subject", subject.id, changes)
    return subject


def _checked_account(details: AccountDetails) -> dict:
    checks = Checks()
    values = {
        "platform": checks.text(
            "platform", details.platform, max_length=100, required=True
        ).strip(),
        "handle": checks.text("handle", details.handle, max_length=200, required=True).strip(),
        "url": checks.text("url", details.url, max_length=2000).strip(),
        "platform_account_id": checks.text(
            "platform_account_id", details.platform_account_id, max_length=200
        ).strip(),
        "status": checks.choice("status", details.status, ACCOUNT_STATUSES),
        "first_seen": checks.aware("first_seen", details.first_seen),
        "last_seen": checks.aware("last_seen", details.last_seen),
        "suspended_at": checks.aware("suspended_at", details.suspended_at),
        "notes": checks.text("notes", details.notes, max_length=20000),
    }
    first, last = values["first_seen"], values["last_seen"]
    if first and last and first.tzinfo and last.tzinfo and last < first:
        checks.fail("last_seen", "Last seen cannot be before first seen.")
    if values["suspended_at"] and values["status"] == "active":
        checks.fail("status", "An account with a suspension date is not active.")
    checks.done()
    return values


def add_account(
    session: Session, actor: Actor, subject: Subject, details: AccountDetails
) -> Account:
    return add_accounts(session, actor, subject, [details])[0]


def add_accounts(
    session: Session, actor: Actor, subject: Subject, details: list[AccountDetails]
) -> list[Account]:
    """Add the subject's accounts, each with its audit event; all are checked before any is
    added (ValidationFailed names the first bad one), and one flush writes them all."""
    checked = [_checked_account(one) for one in details]
    accounts, changes = [], []
    for values in checked:
        account = Account(subject=subject, created_at=utcnow())
        changes.append(apply_changes(account, values))
        accounts.append(account)
    session.add_all(accounts)
    flush_for_id(session, *accounts)
    for account, change in zip(accounts, changes, strict=True):
        record_event(session, actor, "account.create", "account", account.id, change)
    return accounts


def update_account(
    session: Session, actor: Actor, account: Account, details: AccountDetails
) -> Account:
    changes = apply_changes(account, _checked_account(details))
    if changes:
        record_event(session, actor, "account.update", "account", account.id, changes)
    return account


def merge_subjects(session: Session, actor: Actor, survivor: Subject, other: Subject) -> Subject:
    """Fold `other` into `survivor`: its accounts, aliases (and its name, as an alias), case
    links and affiliations move over; `other` stays, marked as merged, for the history."""
    if survivor.id == other.id:
        raise Conflict("A subject cannot be merged with itself.")
    if survivor.merged_into_id or other.merged_into_id:
        raise Conflict("One of these subjects was already merged into another.")
    moved_accounts = [account.id for account in other.accounts]
    for account in list(other.accounts):
        account.subject = survivor
    names = [alias.alias for alias in survivor.aliases]
    added = [
        name
        for name in [other.name, *(a.alias for a in other.aliases)]
        if name not in names and name != survivor.name
    ]
    _set_aliases(survivor, names + list(dict.fromkeys(added)))
    moved_cases = _move_case_links(session, other.id, survivor.id)
    session.execute(
        update(Subject)
        .where(Subject.affiliation_id == other.id, Subject.id != survivor.id)
        .values(affiliation_id=survivor.id)
    )
    if survivor.affiliation_id == other.id:
        # The survivor belonged to the subject it absorbs: never affiliate it with itself.
        survivor.affiliation_id = (
            None if other.affiliation_id == survivor.id else other.affiliation_id
        )
    other.merged_into_id, other.merged_at = survivor.id, utcnow()
    survivor.updated_at = utcnow()
    details = {
        "merged": other.id,
        "accounts": moved_accounts,
        "aliases": added,
        "cases": moved_cases,
    }
    record_event(session, actor, "subject.merge", "subject", survivor.id, {"merge": details})
    session.expire_all()
    return survivor


def _move_case_links(session: Session, from_id: int, to_id: int) -> list[int]:
    linked = set(
        session.scalars(
            select(case_subjects.c.case_id).where(case_subjects.c.subject_id == from_id)
        )
    )
    already = set(
        session.scalars(select(case_subjects.c.case_id).where(case_subjects.c.subject_id == to_id))
    )
    session.execute(case_subjects.delete().where(case_subjects.c.subject_id == from_id))
    for case_id in sorted(linked - already):
        session.execute(case_subjects.insert().values(case_id=case_id, subject_id=to_id))
    return sorted(linked)


def subjects(session: Session, user: User, include_merged: bool = False) -> list[Subject]:
    """The subjects `user` may see (see casemgr.people.visibility), by name."""
    from casemgr.people.visibility import visible_subject_condition

    statement = select(Subject).where(visible_subject_condition(user)).order_by(Subject.name)
    if not include_merged:
        statement = statement.where(Subject.merged_into_id.is_(None))
    return list(session.scalars(statement))
