"""Loading a case for a user: the one place that turns "not visible" into 404."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.cases.models import Case
from casemgr.errors import NotFound


def case_by_ref(ref: str) -> Select[tuple[Case]]:
    """The query for case `ref`, as typed (spaces around it and lower case are forgiven)."""
    return select(Case).where(Case.ref == ref.strip().upper())


def get_case_or_404(session: Session, ref: str, user: User | None, need: str = "read") -> Case:
    """The case `ref` if `user` may see it and holds `need` on it; NotFound when it does not
    exist or is restricted from them (the same answer, so restricted refs do not leak),
    PermissionDenied when their role may not. For any `need` but "read" the case's row is
    locked until the transaction ends (see `lock_case`)."""
    statement = case_by_ref(ref)
    if need != "read":
        statement = statement.with_for_update(of=Case).execution_options(populate_existing=True)
    case = session.scalar(statement)
    if case is None:
        raise NotFound("No such case.")
    authorize(user, need, case)
    return case


def lock_case(session: Session, case: Case, *rows: object) -> None:
    """Re-read `case` (and `rows` of it that a writer may have changed meanwhile) and hold
    its row until the transaction ends.

    Every change to a case bumps its version; two writers that both read the same version
    would have the second UPDATE find nothing to update (a 409 for a write that sent no
    version at all). Locked first, concurrent writers to one case queue, and each checks
    the version its own UPDATE will replace. This matters on PostgreSQL only: on SQLite a
    writing request holds the whole database from its first statement (casemgr.db), so
    what it read is current already, and reading it again would only cost time.
    """
    if session.get_bind().dialect.name == "sqlite":
        return
    session.refresh(case, with_for_update={"of": Case})
    for row in rows:
        session.refresh(row)
