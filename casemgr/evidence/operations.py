"""What analysts do with an item once it is in: mark it manipulated or as a subject's
likeness, withdraw it, record its transfer; and the check that every stored file still has
its hash."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, apply_changes, record_event
from casemgr.auth.models import User
from casemgr.auth.permissions import authorize
from casemgr.cases.access import get_case_or_404
from casemgr.cases.models import Case
from casemgr.cases.operations import touch_case
from casemgr.db import utcnow
from casemgr.errors import Conflict, NotFound
from casemgr.evidence.custody import record_custody
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore
from casemgr.people.models import Protectee, Subject
from casemgr.validation import Checks


def get_item(session: Session, item_id: int, user: User | None, need: str = "read") -> EvidenceItem:
    """The item if `user` may see it (through its case, restricted cases included) and
    holds `need`; NotFound otherwise, the same answer whether or not it exists."""
    item = session.get(EvidenceItem, item_id)
    if item is None:
        raise NotFound("No such evidence item.")
    if item.case_id is not None:
        case = session.get(Case, item.case_id)
        try:
            get_case_or_404(session, case.ref, user, need)
        except NotFound:
            raise NotFound("No such evidence item.") from None
    else:
        authorize(user, "protectee.manage" if need != "read" else "read")
    return item


def reference_photos(session: Session, protectee: Protectee) -> list[EvidenceItem]:
    return list(
        session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.protectee_id == protectee.id, EvidenceItem.kind == "reference")
            .order_by(EvidenceItem.created_at)
        )
    )


def _case_ref(session: Session, item: EvidenceItem) -> str | None:
    return session.get(Case, item.case_id).ref if item.case_id else None


def _touch(session: Session, item: EvidenceItem) -> None:
    if item.case_id:
        touch_case(session.get(Case, item.case_id))


def mark_manipulated(
    session: Session, actor: Actor, item: EvidenceItem, note: str, original_id: int | None
) -> EvidenceItem:
    """Flag an item as doctored, saying how, and optionally which item is the original."""
    checks = Checks()
    note = checks.text("note", note, max_length=5000, required=True)
    original = session.get(EvidenceItem, original_id) if original_id else None
    if original_id is not None and (original is None or original_id == item.id):
        checks.fail("original_id", "Choose another stored item as the original.")
    checks.done()
    changes = apply_changes(
        item, {"manipulated": True, "manipulation_note": note, "original_id": original_id}
    )
    record_custody(session, actor, item, "marked_manipulated", note)
    _touch(session, item)
    record_event(
        session,
        actor,
        "evidence.manipulated",
        "evidence",
        item.id,
        changes,
        _case_ref(session, item),
    )
    return item


def mark_likeness(
    session: Session, actor: Actor, item: EvidenceItem, subject_id: int | None
) -> EvidenceItem:
    """Mark an image item as showing a subject of its case (the photo a BOLO sheet prints),
    or clear the mark with `subject_id` None. ValidationFailed for an item that is not an
    image of a case, or a subject not linked to the item's case; Conflict once withdrawn."""
    if item.withdrawn_at is not None:
        raise Conflict("A withdrawn item cannot be marked as a likeness.")
    checks = Checks()
    case = session.get(Case, item.case_id) if item.case_id else None
    if case is None or not item.is_image:
        checks.fail("subject_id", "Only an image on a case can show a subject.")
    subject = session.get(Subject, subject_id) if subject_id is not None else None
    if subject_id is not None and case is not None and subject not in case.subjects:
        checks.fail("subject_id", "Choose a subject linked to this item's case.")
    checks.done()
    previous = item.likeness_subject
    if subject_id == item.likeness_subject_id:
        return item
    changes = apply_changes(item, {"likeness_subject_id": subject_id})
    if subject is not None:
        note = f"Marked as showing subject #{subject.id} {subject.name}."
    else:
        note = f"Likeness mark cleared (was subject #{previous.id} {previous.name})."
    record_custody(session, actor, item, "marked_likeness", note)
    _touch(session, item)
    record_event(
        session, actor, "evidence.likeness", "evidence", item.id, changes, _case_ref(session, item)
    )
    return item


def withdraw(session: Session, actor: Actor, item: EvidenceItem, reason: str) -> EvidenceItem:
    """Withdraw an item from use; the file, its record and its custody stay."""
    if item.withdrawn_at is not None:
        raise Conflict("This item was already withdrawn.")
    checks = Checks()
    reason = checks.text("reason", reason, max_length=5000, required=True)
    checks.done()
    changes = apply_changes(item, {"withdrawn_at": utcnow(), "withdrawn_reason": reason})
    record_custody(session, actor, item, "withdrawn", reason)
    _touch(session, item)
    record_event(
        session, actor, "evidence.withdraw", "evidence", item.id, changes, _case_ref(session, item)
    )
    return item


def record_transfer(
    session: Session, actor: Actor, item: EvidenceItem, recipient: str, note: str = ""
) -> EvidenceItem:
    """Record that the item (a copy of its bytes) was handed to someone outside."""
    checks = Checks()
    recipient = checks.text("recipient", recipient, max_length=300, required=True).strip()
    note = checks.text("note", note, max_length=5000)
    checks.done()
    record_custody(
        session,
        actor,
        item,
        "transferred",
        f"Transferred to {recipient}." + (f" {note}" if note else ""),
    )
    record_event(
        session,
        actor,
        "evidence.transfer",
        "evidence",
        item.id,
        {"recipient": {"old": None, "new": recipient}},
        _case_ref(session, item),
    )
    return item


@dataclass(frozen=True)
class StoreProblem:
    sha256: str
    problem: str  # "missing" or "altered"
    item_ids: list[int]

    def __str__(self) -> str:
        items = ", ".join(str(item_id) for item_id in self.item_ids)
        return f"{self.sha256} {self.problem} (evidence item {items})"


def verify_store(session: Session, store: FileStore) -> list[StoreProblem]:
    """Re-hash every file the items point at; the missing and the altered ones."""
    items: dict[str, list[int]] = {}
    for item_id, sha256 in session.execute(select(EvidenceItem.id, EvidenceItem.sha256)):
        items.setdefault(sha256, []).append(item_id)
    problems = []
    for sha256, item_ids in sorted(items.items()):
        actual = store.hash_of(sha256)
        if actual != sha256:
            problems.append(
                StoreProblem(sha256, "missing" if actual is None else "altered", sorted(item_ids))
            )
    return problems
