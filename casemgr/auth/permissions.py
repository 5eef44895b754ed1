"""Who may do what: the one permission check every view and API endpoint calls."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, exists, or_, true

from casemgr.auth.models import User
from casemgr.errors import NotFound, PermissionDenied

_STAFF = frozenset({"admin", "lead", "analyst"})
_LEADS = frozenset({"admin", "lead"})
_EVERYONE = frozenset({"admin", "lead", "analyst", "viewer"})

# Permission -> roles that hold it. Per-case rules (own cases, restricted cases) are below.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read": _EVERYONE,
    "protectee.private": _STAFF,
    "protectee.manage": _STAFF,
    "subject.manage": _STAFF,
    "case.create": _STAFF,
    "case.edit": _STAFF,
    "case.transition": _STAFF,
    "case.reopen": _LEADS,
    "case.close": _LEADS,
    "case.refer": _LEADS,
    "case.assign": _LEADS,
    "handoff.own": _STAFF,
    "handoff.any": _LEADS,
    "threat.log": _STAFF,
    "evidence.add": _STAFF,
    "assessment.create": _STAFF,
    "task.manage": _STAFF,
    "briefing.export": _LEADS,
    "audit.read": _LEADS,
    "users.manage": frozenset({"admin"}),
}


class CaseAccess(Protocol):
    """What the check needs to know of a case."""

    restricted: bool
    owner_id: int | None

    def has_member(self, user_id: int) -> bool: ...


def can_see_case(user: User, case: CaseAccess) -> bool:
    """Restricted cases are visible to their members, their owner, leads and admins."""
    if not case.restricted or user.role in _LEADS:
        return True
    return case.owner_id == user.id or case.has_member(user.id)


def visible_case_condition(user: User) -> ColumnElement[bool]:
    """`can_see_case` as SQL, for lists, search and the dashboard."""
    from casemgr.cases.models import Case, CaseMember

    if user.role in _LEADS:
        return true()
    membership = exists().where(CaseMember.case_id == Case.id, CaseMember.user_id == user.id)
    return or_(Case.restricted.is_(False), Case.owner_id == user.id, membership)


def can(user: User | None, permission: str, case: CaseAccess | None = None) -> bool:
    """True when `user` holds `permission` (on `case`, when given)."""
    if user is None or not user.is_authenticated or not user.active:
        return False
    if permission not in ROLE_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if case is not None and not can_see_case(user, case):
        return False
    return user.role in ROLE_PERMISSIONS[permission]


def authorize(user: User | None, permission: str, case: CaseAccess | None = None) -> None:
    """Raise NotFound for a case the user may not see, PermissionDenied for a role that may not."""
    if case is not None and (user is None or not can_see_case(user, case)):
        raise NotFound("No such case.")
    if not can(user, permission, case):
        raise PermissionDenied("Your role does not allow this.")
