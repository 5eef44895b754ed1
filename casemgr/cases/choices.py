"""Choices the case forms offer: people who can own cases, protectees, subjects."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.people.models import Protectee
from casemgr.people.subjects import subjects


def case_owners(session: Session, blank: str | None = None) -> list[SelectChoice]:
    """Active users who may own a case (everyone but viewers)."""
    users = session.scalars(
        select(User).where(User.active, User.role != "viewer").order_by(User.username)
    )
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [
        SelectChoice(user.username, f"{user.label} ({user.username})") for user in users
    ]


def protectee_choices(session: Session, case: Case | None = None) -> list[SelectChoice]:
    """Protectees not archived, plus any archived ones the case already names."""
    linked = {protectee.id for protectee in case.protectees} if case else set()
    rows = session.scalars(select(Protectee).order_by(Protectee.all_staff.desc(), Protectee.name))
    return [
        SelectChoice(row.id, row.name + (f", {row.title}" if row.title else ""))
        for row in rows
        if row.archived_at is None or row.id in linked
    ]


def subject_choices(session: Session, user: User) -> list[SelectChoice]:
    rows = subjects(session, user)
    return [SelectChoice(row.id, f"{row.name} ({row.kind})") for row in rows]
