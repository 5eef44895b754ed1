"""Protective actions (tasks) and referrals to law enforcement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.auth.models import User
from casemgr.auth.permissions import can_see_case
from casemgr.cases.models import TASK_STATUSES, Case, Referral, Task
from casemgr.cases.operations import check_version, touch_case, transition_case
from casemgr.cases.workflow import LEAD_ROLES
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import NotFound, PermissionDenied
from casemgr.validation import Checks


def create_task(
    session: Session,
    actor: Actor,
    case: Case,
    title: str,
    owner: User | None = None,
    due_at: datetime | None = None,
) -> Task:
    checks = Checks()
    title = checks.text("title", title, max_length=300, required=True).strip()
    checks.aware("due_at", due_at)
    if owner is not None and not owner.active:
        checks.fail("owner", f"{owner.username} is disabled.")
    elif owner is not None and not can_see_case(owner, case):
        # They could not open the case to do it; add them as a member first.
        checks.fail("owner", f"{owner.username} is not a member of this restricted case.")
    checks.done()
    task = Task(
        case_id=case.id,
        title=title,
        owner_id=owner.id if owner else None,
        due_at=due_at,
        status="open",
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    session.add(task)
    touch_case(case)
    flush_for_id(session, task)
    created = {
        "title": {"old": None, "new": title},
        "owner": {"old": None, "new": owner.username if owner else None},
    }
    record_event(session, actor, "task.create", "task", task.id, created, case.ref)
    return task


def get_task(session: Session, case: Case, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.case_id != case.id:
        raise NotFound("No such task on this case.")
    return task


def set_task_status(session: Session, actor: Actor, case: Case, task: Task, status: str) -> Task:
    checks = Checks()
    checks.choice("status", status, TASK_STATUSES)
    checks.done()
    # A task marked done again keeps the time it was first done.
    completed = (task.completed_at or utcnow()) if status == "done" else None
    changes = apply_changes(task, {"status": status, "completed_at": completed})
    if changes:
        touch_case(case)
        record_event(session, actor, "task.update", "task", task.id, changes, case.ref)
    return task


@dataclass
class ReferralDetails:
    agency: str
    unit: str = ""
    officer: str = ""
    contact: str = ""
    reference: str = ""
    referred_at: datetime | None = None
    notes: str = ""


def refer_case(
    session: Session,
    actor: Actor,
    actor_role: str,
    case: Case,
    details: ReferralDetails,
    expected_version: int | None = None,
) -> Referral:
    """Record a referral; the case moves to `referred` under the workflow's rules (a case
    already referred simply gains another referral). Referring is a lead's action."""
    check_version(case, expected_version)
    if actor_role not in LEAD_ROLES:
        raise PermissionDenied("Referring a case to law enforcement is a lead's action.")
    checks = Checks()
    values = {
        "agency": checks.text("agency", details.agency, max_length=200, required=True).strip(),
        "unit": checks.text("unit", details.unit, max_length=200).strip(),
        "officer": checks.text("officer", details.officer, max_length=200).strip(),
        "contact": checks.text("contact", details.contact, max_length=2000),
        "reference": checks.text("reference", details.reference, max_length=200).strip(),
        "referred_at": checks.aware("referred_at", details.referred_at) or utcnow(),
        "notes": checks.text("notes", details.notes, max_length=20000),
    }
    checks.done()
    if case.status != "referred":
        transition_case(
            session, actor, actor_role, case, "referred", f"Referred to {values['agency']}."
        )
    referral = Referral(case_id=case.id, created_by_id=actor.user_id, created_at=utcnow())
    changes = apply_changes(referral, values)
    session.add(referral)
    touch_case(case)
    flush_for_id(session, referral)
    record_event(session, actor, "referral.create", "referral", referral.id, changes, case.ref)
    return referral
