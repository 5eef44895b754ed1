"""Fixtures and small factories for the service tests of cases, people, threats and search.

The factories are plain functions over a session, so the people, threats and search tests
import them too; they go through the services wherever the service's rule matters.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.models import Assessment
from casemgr.assessments.operations import LevelOverride, create_assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import Actor
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
from casemgr.cases.actions import create_task
from casemgr.cases.models import Case, Task
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.db import utcnow
from casemgr.extensions import db
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.factories import make_user


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The app's session inside an app context; whatever a test leaves uncommitted is dropped."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def staff(session: Session, users: dict[str, User]) -> dict[str, User]:
    """The users of the `users` fixture (admin, lead, analyst, viewer), in this session."""
    return {role: session.get(User, user.id) for role, user in users.items()}


@pytest.fixture
def case(session: Session, staff: dict[str, User]) -> Case:
    """A committed new case owned by the analyst."""
    made = make_case(session, staff["analyst"])
    session.commit()
    return made


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, "127.0.0.1")


def add_user(session: Session, username: str, role: str = "analyst", active: bool = True) -> User:
    return make_user(session, role, username=username, active=active)


def make_case(
    session: Session, owner: User | None, title: str = "Threats against the CEO", **fields: Any
) -> Case:
    actor = actor_of(owner) if owner is not None else Actor(None, "system", "cli")
    return create_case(session, actor, owner, CaseDetails(title=title, **fields))


def make_assessment(session: Session, case: Case, level: str = "moderate") -> Assessment:
    """An assessment on the default rubric whose final level is `level` (by override)."""
    rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    override = LevelOverride(level, "Set for the test.")
    return create_assessment(session, Actor(None, "system", "cli"), case, rubric, {}, override)


def make_protectee(session: Session, name: str = "Adrian Kessler", **fields: str) -> Protectee:
    actor = Actor(None, "system", "cli")
    return create_protectee(session, actor, ProtecteeDetails(name=name, **fields))


def make_subject(
    session: Session, name: str = "Dawn Vanguard", aliases: list[str] | None = None, **fields: Any
) -> Subject:
    details = SubjectDetails(name=name, aliases=list(aliases or []), **fields)
    return create_subject(session, Actor(None, "system", "cli"), details)


def make_account(
    session: Session, subject: Subject, handle: str, platform: str = "Chirper", **fields: Any
) -> Account:
    details = AccountDetails(platform=platform, handle=handle, **fields)
    return add_account(session, Actor(None, "system", "cli"), subject, details)


def threat_details(text: str = "We will find you.", **fields: Any) -> ThreatDetails:
    values: dict[str, Any] = {
        "occurred_at": utcnow() - timedelta(days=1),
        "channel": "public_post",
        "threat_type": "direct",
    }
    return ThreatDetails(text=text, **(values | fields))


def make_threat(
    session: Session, case: Case, text: str = "We will find you.", **fields: Any
) -> Threat:
    return log_threat(session, Actor(None, "system", "cli"), case, threat_details(text, **fields))


def make_task(
    session: Session,
    case: Case,
    title: str = "Vary the CEO's route to the office",
    due_at: datetime | None = None,
) -> Task:
    return create_task(session, Actor(None, "system", "cli"), case, title, due_at=due_at)


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def last_event_id(session: Session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def events_since(session: Session, event_id: int) -> list[AuditEvent]:
    """Audit events written after `event_id`, oldest first."""
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id))
    )
