"""Opening, editing, assigning and moving cases through the workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from casemgr.assessments.models import Assessment
from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.auth.models import User
from casemgr.cases.models import PRIORITIES, Case, CaseMember, CaseStatusChange
from casemgr.cases.references import allocate_reference
from casemgr.cases.workflow import TransitionRequest, check_transition
from casemgr.db import flush_for_id, loaded, utcnow
from casemgr.errors import Conflict, ValidationFailed
from casemgr.people.models import Protectee, Subject
from casemgr.threats.models import Threat
from casemgr.validation import Checks


class StaleVersion(Conflict):
    """The editor saw an older version of the case; `case` holds the current one."""

    title = "The case changed since you loaded it"

    def __init__(self, case: Case) -> None:
        super().__init__(
            f"{case.ref} was changed by someone else (now version {case.version}). "
            "Review the current values and save again."
        )
        self.case = case


@dataclass
class CaseDetails:
    title: str
    summary: str = ""
    priority: str = "normal"
    restricted: bool = False
    next_review_at: datetime | None = None
    protectee_ids: list[int] = field(default_factory=list)
    subject_ids: list[int] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # usernames


def _checked(session: Session, details: CaseDetails) -> dict:
    checks = Checks()
    values = {
        "title": checks.text("title", details.title, max_length=300, required=True).strip(),
        "summary": checks.text("summary", details.summary, max_length=20000),
        "priority": checks.choice("priority", details.priority, PRIORITIES),
        "restricted": bool(details.restricted),
        "next_review_at": checks.aware("next_review_at", details.next_review_at),
        "protectees": _lookup(session, checks, Protectee, "protectee_ids", details.protectee_ids),
        "subjects": _lookup(session, checks, Subject, "subject_ids", details.subject_ids),
        "members": _members(session, checks, details.members),
    }
    checks.done()
    return values


def _lookup(session: Session, checks: Checks, model: type, name: str, ids: list[int]) -> list:
    wanted = list(dict.fromkeys(ids))
    found = loaded(session, model, wanted)
    missing = [str(item) for item in wanted if item not in found]
    if missing:
        checks.fail(name, f"Unknown id: {', '.join(missing)}.")
    return [found[item] for item in wanted if item in found]


def _members(session: Session, checks: Checks, usernames: list[str]) -> list[User]:
    wanted = list(dict.fromkeys(name.strip().lower() for name in usernames if name.strip()))
    if not wanted:
        return []  # no query: most cases are open to every analyst
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(wanted)))}
    unknown = [name for name in wanted if name not in users or not users[name].active]
    if unknown:
        checks.fail("members", f"No active user named: {', '.join(unknown)}.")
    return [users[name] for name in wanted if name in users]


def _apply(case: Case, values: dict) -> dict:
    """Set the case's fields and links; the diff for the audit event."""
    members = values.pop("members")
    links = {
        "protectees": sorted(p.id for p in values["protectees"]),
        "subjects": sorted(s.id for s in values["subjects"]),
        "members": sorted(u.username for u in members),
    }
    before = {
        "protectees": sorted(p.id for p in case.protectees),
        "subjects": sorted(s.id for s in case.subjects),
        "members": sorted(m.user.username for m in case.members if m.user),
    }
    scalar_values = {k: v for k, v in values.items() if k not in ("protectees", "subjects")}
    changes = apply_changes(case, scalar_values)
    case.protectees, case.subjects = values["protectees"], values["subjects"]
    kept = {m.user_id: m for m in case.members}
    case.members = [
        kept.get(user.id) or CaseMember(user=user, added_at=utcnow()) for user in members
    ]
    for name, now in links.items():
        if before[name] != now:
            changes[name] = {"old": before[name], "new": now}
    return changes


def create_case(session: Session, actor: Actor, owner: User | None, details: CaseDetails) -> Case:
    """Open a case with a fresh reference; it starts as `new`, owned by `owner`."""
    values = _checked(session, details)
    now = utcnow()
    case = Case(
        ref=allocate_reference(session, now.year),
        status="new",
        owner=owner,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    changes = _apply(case, values)
    session.add(case)
    flush_for_id(session, case)
    session.add(
        CaseStatusChange(
            case=case,
            from_status=None,
            to_status="new",
            reason="Case opened.",
            actor_id=actor.user_id,
            at=now,
        )
    )
    changes["ref"] = {"old": None, "new": case.ref}
    record_event(session, actor, "case.create", "case", case.id, changes, case.ref)
    return case


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse a write based on an older version of the case than the stored one."""
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion(case)


def touch_case(case: Case) -> None:
    """Mark the case changed: its version goes up, so stale editors are caught."""
    case.updated_at = utcnow()


def update_case(
    session: Session, actor: Actor, case: Case, details: CaseDetails, expected_version: int | None
) -> Case:
    check_version(case, expected_version)
    changes = _apply(case, _checked(session, details))
    if changes:
        touch_case(case)
        record_event(session, actor, "case.update", "case", case.id, changes, case.ref)
    return case


def assign_case(session: Session, actor: Actor, case: Case, owner: User) -> Case:
    """A lead gives the case to `owner` at once (a handoff waits for acceptance instead)."""
    if not owner.active or owner.role == "viewer":
        raise ValidationFailed({"owner": ["Cases go to active analysts, leads or admins."]})
    changes = apply_changes(case, {"owner_id": owner.id})
    if changes:
        touch_case(case)
        record_event(session, actor, "case.assign", "case", case.id, changes, case.ref)
    return case


# When a case was last assessed and when its last threat was logged, in one statement
# built once (building it cost more than running it; every status change asks).
_LAST_ASSESSED_AND_THREAT = select(
    select(func.max(Assessment.created_at))
    .where(Assessment.case_id == bindparam("case_id"))
    .scalar_subquery(),
    select(func.max(Threat.created_at))
    .where(Threat.case_id == bindparam("case_id"))
    .scalar_subquery(),
)


def assessed_since_last_threat(session: Session, case: Case) -> bool:
    """True when the newest assessment was made after the last threat was logged."""
    last_assessed, last_threat = session.execute(
        _LAST_ASSESSED_AND_THREAT, {"case_id": case.id}
    ).one()
    if last_assessed is None:
        return False
    return last_threat is None or last_assessed >= last_threat


def transition_case(
    session: Session,
    actor: Actor,
    actor_role: str,
    case: Case,
    target: str,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """Move the case to `target`, recording who, when, from, to and why."""
    check_version(case, expected_version)
    checks = Checks()
    checks.text("reason", reason, max_length=5000)  # the one free text a transition stores
    checks.done()
    # Only closing asks whether the case was assessed since its last threat: two queries
    # that no other move needs.
    assessed = target == "closed" and assessed_since_last_threat(session, case)
    check_transition(TransitionRequest(case.status, target, reason, actor_role, assessed))
    change = CaseStatusChange(
        case_id=case.id,
        from_status=case.status,
        to_status=target,
        reason=reason.strip(),
        actor_id=actor.user_id,
        at=utcnow(),
    )
    session.add(change)
    changes = apply_changes(case, {"status": target})
    touch_case(case)
    record_event(
        session,
        actor,
        "case.transition",
        "case",
        case.id,
        changes | {"reason": {"old": None, "new": change.reason}},
        case.ref,
    )
    return case
