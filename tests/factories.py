"""Small factories for test data; services are used where the rule matters."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from casemgr.audit.log import SYSTEM
from casemgr.auth.models import ROLES, User
from casemgr.auth.tokens import issue_token

__all__ = ["ROLES", "TEST_PASSWORD", "make_token", "make_user"]

TEST_PASSWORD = "a long test password"
# Hashing is slow on purpose; hash once for every user the tests make.
_TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)
_numbers = count(1)


def make_user(
    session: Session, role: str = "analyst", username: str | None = None, **fields: object
) -> User:
    user = User(
        username=username or role,
        role=role,
        display_name=fields.pop("display_name", (username or role).capitalize()),
        password_hash=_TEST_PASSWORD_HASH,
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def unique_name(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}"


def make_token(session: Session, user: User, name: str = "tests") -> str:
    _, plaintext = issue_token(session, SYSTEM, user, name)
    return plaintext
