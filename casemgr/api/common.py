"""Helpers every endpoint module shares: the caller, and users named in a body."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.current import current
from casemgr.auth.models import User
from casemgr.errors import ValidationFailed


def caller() -> User:
    """The token's user (the blueprint has refused the request otherwise)."""
    user = current()
    assert user is not None
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def user_named(session: Session, username: str | None, field: str) -> User | None:
    """The user called `username` (None for no name); an unknown name is a 422 on `field`."""
    if username is None:
        return None
    user = find_user(session, username)
    if user is None:
        raise ValidationFailed({field: [f"No user named {username!r}."]})
    return user
