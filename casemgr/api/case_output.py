"""How a case looks in every answer, and the 409 that carries it when a version is stale."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casemgr.api.schemas import UTCTime
from casemgr.auth.models import User
from casemgr.cases.models import Case, Handoff
from casemgr.cases.operations import StaleVersion


class ProtecteeOnCase(BaseModel):
    id: int
    name: str


class SubjectOnCase(BaseModel):
    id: int
    name: str
    kind: str


class PendingHandoff(BaseModel):
    id: int
    from_user: str | None
    to_user: str
    created_at: UTCTime


class CaseOut(BaseModel):
    ref: str
    title: str
    summary: str
    priority: str
    status: str
    restricted: bool
    owner: str | None  # username
    members: list[str]  # usernames
    concern_level: str | None
    version: int
    protectees: list[ProtecteeOnCase]
    subjects: list[SubjectOnCase]
    next_review_at: UTCTime | None
    pending_handoff: PendingHandoff | None
    created_at: UTCTime
    updated_at: UTCTime


def _pending(handoff: Handoff | None) -> PendingHandoff | None:
    if handoff is None:
        return None
    return PendingHandoff(
        id=handoff.id,
        from_user=handoff.from_user.username if handoff.from_user else None,
        to_user=handoff.to_user.username,
        created_at=handoff.created_at,
    )


def _username(session: Session, user_id: int | None) -> str | None:
    # By id, not through `case.owner`: a handoff or an assignment changes only `owner_id`.
    user = session.get(User, user_id) if user_id is not None else None
    return user.username if user else None


def cases_out(session: Session, cases: Sequence[Case]) -> list[CaseOut]:
    """The answers for `cases`, with their pending handoffs found in one query."""
    pending = {
        handoff.case_id: handoff
        for handoff in session.scalars(
            select(Handoff)
            .where(Handoff.case_id.in_([case.id for case in cases]), Handoff.status == "pending")
            .options(selectinload(Handoff.from_user), selectinload(Handoff.to_user))
        )
    }
    return [
        CaseOut(
            ref=case.ref,
            title=case.title,
            summary=case.summary,
            priority=case.priority,
            status=case.status,
            restricted=case.restricted,
            owner=_username(session, case.owner_id),
            members=sorted(member.user.username for member in case.members if member.user),
            concern_level=case.concern_level,
            version=case.version,
            protectees=[ProtecteeOnCase(id=p.id, name=p.name) for p in case.protectees],
            subjects=[SubjectOnCase(id=s.id, name=s.name, kind=s.kind) for s in case.subjects],
            next_review_at=case.next_review_at,
            pending_handoff=_pending(pending.get(case.id)),
            created_at=case.created_at,
            updated_at=case.updated_at,
        )
        for case in cases
    ]


def case_out(session: Session, case: Case) -> CaseOut:
    session.flush()  # the version a client must send next is the one after this write
    return cases_out(session, [case])[0]


@contextmanager
def current_case_on_conflict(session: Session) -> Iterator[None]:
    """A stale `version` answers 409 with the case as it is now under `current`."""
    try:
        yield
    except StaleVersion as error:
        error.extra["current"] = case_out(session, error.case).model_dump(mode="json")
        raise
