"""Loading a case for a user: the one place that turns "not visible" into 404."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.cases.models import Case
from casemgr.errors import NotFound


def get_case_or_404(session: Session, ref: str, user: User | None, need: str = "read") -> Case:
    """The case `ref` if `user` may see it and holds `need` on it; NotFound when it does not
    exist or is restricted from them (the same answer, so restricted refs do not leak),
    PermissionDenied when their role may not."""
    case = session.scalar(select(Case).where(Case.ref == ref.strip().upper()))
    if case is None:
        raise NotFound("No such case.")
    authorize(user, need, case)
    return case
