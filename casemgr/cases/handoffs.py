"""Handoffs: a case changes owner only when the receiver accepts the written brief."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.auth.models import User
from casemgr.auth.permissions import can_see_case
from casemgr.cases.access import lock_case
from casemgr.cases.models import Case, Handoff, Task
from casemgr.cases.operations import check_version, touch_case
from casemgr.cases.workflow import LEAD_ROLES
from casemgr.db import flush_for_id, utcnow
from casemgr.errors import Conflict, NotFound, PermissionDenied
from casemgr.validation import Checks


@dataclass
class Brief:
    situation: str
    concern: str
    next_steps: str


# The two reads of every handoff, built once: building a select took longer than running it.
_OPEN_TASKS = (
    select(Task)
    .where(Task.case_id == bindparam("case_id"), Task.status == "open")
    # Soonest due first, undated last, on every database (NULLs sort differently).
    .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
)
_PENDING = select(Handoff).where(
    Handoff.case_id == bindparam("case_id"), Handoff.status == "pending"
)


def open_tasks_summary(session: Session, case: Case) -> str:
    tasks = session.scalars(_OPEN_TASKS, {"case_id": case.id})
    lines = []
    for task in tasks:
        # A task made in this transaction still holds the zone it was given in.
        due = f" (due {task.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" if task.due_at else ""
        lines.append(f"- {task.title}{due}")
    return "\n".join(lines)


def pending_handoff(session: Session, case: Case) -> Handoff | None:
    return session.scalar(_PENDING, {"case_id": case.id})


def _check_receiver(checks: Checks, case: Case, receiver: User | None) -> None:
    if receiver is None:
        checks.fail("to_user", "No such user.")
    elif not receiver.active:
        checks.fail("to_user", f"{receiver.username} is disabled and cannot take cases.")
    elif receiver.role == "viewer":
        checks.fail("to_user", f"{receiver.username} is a viewer and cannot own cases.")
    elif receiver.id == case.owner_id:
        checks.fail("to_user", f"{receiver.username} already owns this case.")
    elif not can_see_case(receiver, case):
        # They could never open the case to accept it; add them as a member first.
        checks.fail("to_user", f"{receiver.username} is not a member of this restricted case.")


def create_handoff(
    session: Session,
    actor: Actor,
    giver: User,
    case: Case,
    receiver: User | None,
    brief: Brief,
    expected_version: int | None = None,
) -> Handoff:
    """Offer the case to `receiver`; refused for anyone but its owner or a lead, for a
    disabled or viewer receiver, an empty brief, or while another handoff is pending."""
    check_version(case, expected_version)
    if giver.role not in LEAD_ROLES and case.owner_id != giver.id:
        raise PermissionDenied("Only the case owner or a lead can hand this case off.")
    checks = Checks()
    _check_receiver(checks, case, receiver)
    texts = {
        name: checks.text(name, getattr(brief, name), max_length=10000, required=True)
        for name in ("situation", "concern", "next_steps")
    }
    checks.done()
    if pending_handoff(session, case) is not None:
        raise Conflict("A handoff of this case is already waiting for an answer.")
    # Every field set here, none left to the INSERT's defaults: a bulk writer answers the
    # handoff before it is written (see flush_for_id), and the answer reads them.
    handoff = Handoff(
        case=case,
        from_user_id=giver.id,
        to_user_id=receiver.id,
        status="pending",
        open_tasks=open_tasks_summary(session, case),
        review_at=case.next_review_at,
        decline_reason="",
        created_at=utcnow(),
        **texts,
    )
    session.add(handoff)
    touch_case(case)
    flush_for_id(session, handoff)
    record_event(
        session,
        actor,
        "handoff.create",
        "handoff",
        handoff.id,
        {"to_user": {"old": None, "new": receiver.username}},
        case.ref,
    )
    return handoff


def get_handoff(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound("No such handoff.")
    return handoff


def _answer(session: Session, actor: Actor, handoff: Handoff, status: str, reason: str) -> Handoff:
    lock_case(session, handoff.case, handoff)  # answered by someone else while we waited?
    if handoff.status != "pending":
        raise Conflict(f"This handoff was already {handoff.status}.")
    changes = apply_changes(
        handoff, {"status": status, "responded_at": utcnow(), "decline_reason": reason}
    )
    if status == "accepted":
        changes |= {"owner": {"old": handoff.case.owner_id, "new": handoff.to_user_id}}
        handoff.case.owner_id = handoff.to_user_id
    touch_case(handoff.case)
    record_event(
        session, actor, f"handoff.{status}", "handoff", handoff.id, changes, handoff.case.ref
    )
    return handoff


def check_receiver(user: User, handoff: Handoff, verb: str) -> None:
    """PermissionDenied unless `user` is the one the case is handed to."""
    if user.id != handoff.to_user_id:
        raise PermissionDenied(f"Only the user the case is handed to can {verb} it.")


def accept_handoff(session: Session, actor: Actor, receiver: User, handoff: Handoff) -> Handoff:
    """The receiver takes the case: only now does the owner change."""
    check_receiver(receiver, handoff, "accept")
    return _answer(session, actor, handoff, "accepted", "")


def decline_handoff(
    session: Session, actor: Actor, receiver: User, handoff: Handoff, reason: str
) -> Handoff:
    check_receiver(receiver, handoff, "decline")
    checks = Checks()
    reason = checks.text("reason", reason, max_length=5000, required=True)
    checks.done()
    return _answer(session, actor, handoff, "declined", reason)


def cancel_handoff(session: Session, actor: Actor, user: User, handoff: Handoff) -> Handoff:
    if user.role not in LEAD_ROLES and user.id != handoff.from_user_id:
        raise PermissionDenied("Only whoever offered the handoff, or a lead, can withdraw it.")
    return _answer(session, actor, handoff, "cancelled", "")
