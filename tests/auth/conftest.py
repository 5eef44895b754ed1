"""Fixtures for the auth tests: reading users, counting rows and audit events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from casemgr.audit.models import AuditEvent
from casemgr.auth.accounts import find_user
from casemgr.auth.models import User
from casemgr.extensions import db


@pytest.fixture
def fetch_user(app: Flask) -> Callable[[str], User | None]:
    """The user as now stored, detached from the session, or None."""

    def fetch(username: str) -> User | None:
        with app.app_context():
            user = find_user(db.session, username)
            if user is not None:
                db.session.expunge(user)
            return user

    return fetch


@pytest.fixture
def count_rows(app: Flask) -> Callable[[type[Any]], int]:
    def count(model: type[Any]) -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(model)) or 0

    return count


@pytest.fixture
def audit_events(app: Flask) -> Callable[[str], list[dict[str, Any]]]:
    """The audit events with the given action, oldest first, as plain dicts."""

    def events(action: str) -> list[dict[str, Any]]:
        with app.app_context():
            rows = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
            return [
                {"actor": e.actor, "object_id": e.object_id, "changes": e.changes} for e in rows
            ]

    return events


@pytest.fixture
def set_active(app: Flask) -> Callable[[User, bool], None]:
    """Enable or disable a user directly in the database."""

    def update(user: User, active: bool) -> None:
        with app.app_context():
            db.session.get(User, user.id).active = active
            db.session.commit()

    return update
