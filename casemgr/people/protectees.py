"""Protectees: the registry of people under protection. Archived, never deleted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.db import utcnow
from casemgr.errors import Conflict, NotFound
from casemgr.people.models import Protectee
from casemgr.validation import Checks

PRIVATE_FIELDS = frozenset({"private_home_address", "private_phone", "private_family"})
ALL_STAFF_NAME = "All staff"


@dataclass
class ProtecteeDetails:
    name: str
    title: str = ""
    department: str = ""
    usual_locations: str = ""
    notes: str = ""
    private_home_address: str = ""
    private_phone: str = ""
    private_family: str = ""


def _checked(details: ProtecteeDetails) -> dict[str, str]:
    checks = Checks()
    values = {
        "name": checks.text("name", details.name, max_length=200, required=True).strip(),
        "title": checks.text("title", details.title, max_length=200),
        "department": checks.text("department", details.department, max_length=200),
        "usual_locations": checks.text("usual_locations", details.usual_locations, max_length=5000),
        "notes": checks.text("notes", details.notes, max_length=20000),
        "private_home_address": checks.text(
            "private_home_address", details.private_home_address, max_length=2000
        ),
        "private_phone": checks.text("private_phone", details.private_phone, max_length=64),
        "private_family": checks.text("private_family", details.private_family, max_length=5000),
    }
    checks.done()
    return values


def create_protectee(session: Session, actor: Actor, details: ProtecteeDetails) -> Protectee:
    protectee = Protectee()
    changes = apply_changes(protectee, _checked(details), PRIVATE_FIELDS)
    session.add(protectee)
    session.flush()
    record_event(session, actor, "protectee.create", "protectee", protectee.id, changes)
    return protectee


def update_protectee(
    session: Session, actor: Actor, protectee: Protectee, details: ProtecteeDetails
) -> Protectee:
    """Update every field; private fields are written only when `details` carries them
    (callers that may not see them pass the stored values back)."""
    changes = apply_changes(protectee, _checked(details), PRIVATE_FIELDS)
    if changes:
        record_event(session, actor, "protectee.update", "protectee", protectee.id, changes)
    return protectee


def set_archived(session: Session, actor: Actor, protectee: Protectee, archived: bool) -> None:
    """Archive (hide from pickers, keep every link) or restore a protectee; the All staff
    protectee always stays."""
    if archived == (protectee.archived_at is not None):
        return
    if archived and protectee.all_staff:
        raise Conflict("The All staff protectee stays in the registry.")
    changes = apply_changes(protectee, {"archived_at": utcnow() if archived else None})
    action = "protectee.archive" if archived else "protectee.restore"
    record_event(session, actor, action, "protectee", protectee.id, changes)


def all_staff(session: Session, actor: Actor) -> Protectee:
    """The protectee that stands for the whole workforce, made on first use."""
    existing = session.scalar(select(Protectee).where(Protectee.all_staff))
    if existing is not None:
        return existing
    protectee = create_protectee(
        session,
        actor,
        ProtecteeDetails(name=ALL_STAFF_NAME, notes="Threats against the workforce."),
    )
    protectee.all_staff = True
    return protectee


def protectees(session: Session, include_archived: bool = False) -> list[Protectee]:
    statement = select(Protectee).order_by(Protectee.all_staff.desc(), Protectee.name)
    if not include_archived:
        statement = statement.where(Protectee.archived_at.is_(None))
    return list(session.scalars(statement))


def get_protectee(session: Session, protectee_id: int) -> Protectee:
    protectee = session.get(Protectee, protectee_id)
    if protectee is None:
        raise NotFound("No such protectee.")
    return protectee
