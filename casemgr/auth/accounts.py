"""User accounts: creation, roles, disabling, time zones, passwords and login with throttling."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from casemgr.audit.chain import field_changes
from casemgr.audit.log import Actor, record_event
from casemgr.auth.models import ROLES, LoginFailure, User
from casemgr.db import utcnow
from casemgr.errors import Conflict, ValidationFailed

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


def _unknown_role(role: str) -> str:
    return f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}."


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            {"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]},
            "The password is too short.",
        )


def create_user(
    session: Session, actor: Actor, username: str, role: str, password: str, display_name: str = ""
) -> User:
    """Create an active user; refuses a taken or malformed name, an unknown role or a
    weak password."""
    username = username.strip().lower()
    errors: dict[str, list[str]] = {}
    if not USERNAME_PATTERN.match(username):
        errors["username"] = ["Use 2-64 lower-case letters, digits, dots, dashes or underscores."]
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = ["That username is taken."]
    if role not in ROLES:
        errors["role"] = [_unknown_role(role)]
    if errors:
        raise ValidationFailed(errors)
    validate_password(password)
    user = User(
        username=username,
        role=role,
        display_name=display_name.strip(),
        password_hash=generate_password_hash(password),
    )
    session.add(user)
    session.flush()
    created = field_changes({}, {"username": username, "role": role})
    record_event(session, actor, "user.create", "user", user.id, created)
    return user


def _active_admins(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        or 0
    )


def update_user(
    session: Session, actor: Actor, user: User, *, role: str, active: bool, display_name: str
) -> User:
    """Change a user's role, display name or whether they may log in (no hard delete)."""
    if role not in ROLES:
        raise ValidationFailed({"role": [_unknown_role(role)]})
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing_admin and _active_admins(session) <= 1:
        raise Conflict("This is the last active admin; make another admin first.")
    before = {"role": user.role, "active": user.active, "display_name": user.display_name}
    user.role, user.active, user.display_name = role, active, display_name.strip()
    after = {"role": role, "active": active, "display_name": user.display_name}
    changes = field_changes(before, after)
    if changes:
        record_event(session, actor, "user.update", "user", user.id, changes)
    return user


def time_zones() -> list[str]:
    """The IANA zones a user may pick, by name."""
    return sorted(available_timezones() - {"Factory", "localtime"})


def set_time_zone(session: Session, actor: Actor, user: User, zone: str) -> None:
    """The zone the user's pages show dates in (UTC is always on hover)."""
    if zone not in available_timezones():
        raise ValidationFailed({"timezone": ["Choose a time zone from the list."]})
    changes = field_changes({"timezone": user.timezone}, {"timezone": zone})
    user.timezone = zone
    if changes:
        record_event(session, actor, "user.update", "user", user.id, changes)


def change_password(session: Session, actor: Actor, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValidationFailed({"current_password": ["That is not your current password."]})
    set_password(session, actor, user, new)


def set_password(session: Session, actor: Actor, user: User, new: str) -> None:
    validate_password(new)
    user.password_hash = generate_password_hash(new)
    record_event(session, actor, "user.password", "user", user.id)


def random_password() -> str:
    """A password to be shown once: 24 random URL-safe characters."""
    return secrets.token_urlsafe(18)


def reset_password(session: Session, actor: Actor, user: User) -> str:
    """Give `user` a random password, returned to be passed on once; it ends their sessions
    (not their API tokens). Conflict for the actor's own: that one is changed with the
    current password, on the account page."""
    if actor.user_id == user.id:
        raise Conflict("Change your own password on your settings page, with the current one.")
    password = random_password()
    set_password(session, actor, user, password)
    return password


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


def _recent_failures(
    session: Session, username: str, address: str, since: datetime, last_login: datetime | None
) -> tuple[int, int]:
    account_since = max(since, last_login) if last_login else since
    by_account = select(func.count()).where(
        LoginFailure.username == username, LoginFailure.at > account_since
    )
    by_address = select(func.count()).where(
        LoginFailure.address == address, LoginFailure.at > since
    )
    return session.scalar(by_account) or 0, session.scalar(by_address) or 0


def authenticate(
    session: Session,
    username: str,
    password: str,
    address: str,
    *,
    max_failures: int,
    lockout: timedelta,
) -> LoginResult:
    """Check a login; after `max_failures` failures (per account or per address) within
    `lockout`, refuse every attempt until the window has passed. Never says which part
    was wrong."""
    username = username.strip().lower()[:64]
    now = utcnow()
    user = session.scalar(select(User).where(User.username == username))
    by_account, by_address = _recent_failures(
        session, username, address, now - lockout, user.last_login_at if user else None
    )
    if by_account >= max_failures or by_address >= max_failures:
        return LoginResult(None, throttled=True)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginFailure(username=username, address=address[:64], at=now))
        session.flush()
        return LoginResult(None)
    user.last_login_at = now
    record_event(session, Actor(user.id, user.username, address), "user.login", "user", user.id)
    return LoginResult(user)


def users_by_name(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))
