"""Subjects of concern, their accounts, and merging two subjects found to be one."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import selectinload

from casemgr.api.blueprint import api
from casemgr.api.common import caller
from casemgr.api.pagination import paginate
from casemgr.api.schemas import (
    Body,
    ListQuery,
    Page,
    RowId,
    SentTime,
    UTCTime,
    unchanged_when_absent,
)
from casemgr.auth.current import request_actor
from casemgr.auth.permissions import authorize
from casemgr.extensions import db
from casemgr.people.models import ACCOUNT_STATUSES, SUBJECT_KINDS, Account, Subject
from casemgr.people.subjects import (
    AccountDetails,
    SubjectDetails,
    add_account,
    create_subject,
    merge_subjects,
    update_account,
    update_subject,
)
from casemgr.people.visibility import (
    refuse_hidden_subjects,
    visible_account,
    visible_subject,
    visible_subjects,
)

Kind = Literal[SUBJECT_KINDS]
AccountStatus = Literal[ACCOUNT_STATUSES]


class SubjectCreate(Body):
    name: str
    kind: Kind = "unknown"
    aliases: list[str] = []
    affiliation_id: RowId | None = Field(default=None, description="the group this one belongs to")
    description: str = ""


class SubjectPatch(Body):
    name: str = unchanged_when_absent()
    kind: Kind = unchanged_when_absent()
    aliases: list[str] = unchanged_when_absent(description="the whole list of aliases")
    affiliation_id: RowId | None = None
    description: str = unchanged_when_absent()


class AccountCreate(Body):
    platform: str
    handle: str
    url: str = Field(default="", description="kept as text, never fetched")
    platform_account_id: str = ""
    status: AccountStatus = "active"
    first_seen: SentTime | None = None
    last_seen: SentTime | None = None
    suspended_at: SentTime | None = None
    notes: str = ""


class AccountPatch(Body):
    platform: str = unchanged_when_absent()
    handle: str = unchanged_when_absent()
    url: str = unchanged_when_absent()
    platform_account_id: str = unchanged_when_absent()
    status: AccountStatus = unchanged_when_absent()
    first_seen: SentTime | None = None
    last_seen: SentTime | None = None
    suspended_at: SentTime | None = None
    notes: str = unchanged_when_absent()


class MergeRequest(Body):
    other_id: RowId = Field(description="the subject folded into this one")


class AccountOut(BaseModel):
    id: int
    subject_id: int
    platform: str
    handle: str
    url: str
    platform_account_id: str
    status: str
    first_seen: UTCTime | None
    last_seen: UTCTime | None
    suspended_at: UTCTime | None
    notes: str
    created_at: UTCTime


class SubjectOut(BaseModel):
    id: int
    name: str
    kind: str
    aliases: list[str]
    affiliation_id: int | None
    description: str
    merged_into_id: int | None
    merged_at: UTCTime | None
    accounts: list[AccountOut]
    created_at: UTCTime
    updated_at: UTCTime


class SubjectQuery(ListQuery):
    merged: bool = Field(default=False, description="include subjects merged into others")


_ACCOUNT_FIELDS = tuple(field.name for field in fields(AccountDetails))
_SUBJECT_FIELDS = tuple(field.name for field in fields(SubjectDetails))


def _account_out(account: Account) -> AccountOut:
    return AccountOut(
        **{name: getattr(account, name) for name in _ACCOUNT_FIELDS},
        id=account.id,
        subject_id=account.subject_id,
        created_at=account.created_at,
    )


def _subject_out(subject: Subject) -> SubjectOut:
    db.session.flush()
    return SubjectOut(
        id=subject.id,
        name=subject.name,
        kind=subject.kind,
        aliases=sorted(alias.alias for alias in subject.aliases),
        affiliation_id=subject.affiliation_id,
        description=subject.description,
        merged_into_id=subject.merged_into_id,
        merged_at=subject.merged_at,
        accounts=[_account_out(a) for a in sorted(subject.accounts, key=lambda a: a.id)],
        created_at=subject.created_at,
        updated_at=subject.updated_at,
    )


def _check_affiliation(affiliation_id: int | None) -> None:
    if affiliation_id is not None:
        refuse_hidden_subjects(db.session, caller(), [affiliation_id], "affiliation_id")


@api.route(
    "/subjects",
    "GET",
    summary="Subjects of concern visible to the caller, in the order they were added",
    tag="people",
    query=SubjectQuery,
    response=Page[SubjectOut],
)
def list_subjects(query: SubjectQuery) -> Page[SubjectOut]:
    user = caller()
    authorize(user, "read")
    statement = visible_subjects(user).options(
        selectinload(Subject.aliases), selectinload(Subject.accounts)
    )
    if not query.merged:
        statement = statement.where(Subject.merged_into_id.is_(None))
    subjects, cursor = paginate(db.session, statement, [Subject.id], query)
    return Page[SubjectOut](items=[_subject_out(subject) for subject in subjects], next=cursor)


@api.route(
    "/subjects",
    "POST",
    summary="Add a subject of concern",
    tag="people",
    body=SubjectCreate,
    response=SubjectOut,
    status=201,
    errors=(403,),
)
def add_subject(body: SubjectCreate) -> SubjectOut:
    authorize(caller(), "subject.manage")
    _check_affiliation(body.affiliation_id)
    details = SubjectDetails(**body.model_dump())
    return _subject_out(create_subject(db.session, request_actor(), details))


@api.route(
    "/subjects/<int:subject_id>",
    "GET",
    summary="One subject with its accounts",
    tag="people",
    response=SubjectOut,
    errors=(404,),
)
def get_one_subject(subject_id: int) -> SubjectOut:
    user = caller()
    authorize(user, "read")
    return _subject_out(visible_subject(db.session, user, subject_id))


@api.route(
    "/subjects/<int:subject_id>",
    "PATCH",
    summary="Edit a subject",
    tag="people",
    body=SubjectPatch,
    response=SubjectOut,
    errors=(403, 404),
)
def edit_subject(subject_id: int, body: SubjectPatch) -> SubjectOut:
    user = caller()
    subject = visible_subject(db.session, user, subject_id)
    authorize(user, "subject.manage")
    given = body.model_fields_set
    if "affiliation_id" in given:
        _check_affiliation(body.affiliation_id)
    stored = SubjectDetails(
        name=subject.name,
        kind=subject.kind,
        description=subject.description,
        aliases=[alias.alias for alias in subject.aliases],
        affiliation_id=subject.affiliation_id,
    )
    changes = {name: getattr(body, name) for name in given & set(_SUBJECT_FIELDS)}
    update_subject(db.session, request_actor(), subject, replace(stored, **changes))
    return _subject_out(subject)


@api.route(
    "/subjects/<int:subject_id>/merge",
    "POST",
    summary="Fold another subject into this one; answers the surviving subject",
    tag="people",
    body=MergeRequest,
    response=SubjectOut,
    errors=(403, 404, 409),
)
def merge(subject_id: int, body: MergeRequest) -> SubjectOut:
    user = caller()
    survivor = visible_subject(db.session, user, subject_id)
    authorize(user, "subject.manage")
    refuse_hidden_subjects(db.session, user, [body.other_id], "other_id")  # or unknown
    other = db.session.get(Subject, body.other_id)
    assert other is not None
    return _subject_out(merge_subjects(db.session, request_actor(), survivor, other))


@api.route(
    "/subjects/<int:subject_id>/accounts",
    "POST",
    summary="Add an account (a handle on a platform) to a subject",
    tag="people",
    body=AccountCreate,
    response=AccountOut,
    status=201,
    errors=(403, 404),
)
def add_subject_account(subject_id: int, body: AccountCreate) -> AccountOut:
    user = caller()
    subject = visible_subject(db.session, user, subject_id)
    authorize(user, "subject.manage")
    account = add_account(db.session, request_actor(), subject, AccountDetails(**body.model_dump()))
    return _account_out(account)


@api.route(
    "/accounts/<int:account_id>",
    "GET",
    summary="One account",
    tag="people",
    response=AccountOut,
    errors=(404,),
)
def get_one_account(account_id: int) -> AccountOut:
    user = caller()
    authorize(user, "read")
    return _account_out(visible_account(db.session, user, account_id))


@api.route(
    "/accounts/<int:account_id>",
    "PATCH",
    summary="Edit an account (its status, suspension date, last seen...)",
    tag="people",
    body=AccountPatch,
    response=AccountOut,
    errors=(403, 404),
)
def edit_account(account_id: int, body: AccountPatch) -> AccountOut:
    user = caller()
    account = visible_account(db.session, user, account_id)
    authorize(user, "subject.manage")
    stored = AccountDetails(**{name: getattr(account, name) for name in _ACCOUNT_FIELDS})
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    update_account(db.session, request_actor(), account, replace(stored, **changes))
    db.session.flush()
    return _account_out(account)
