"""The chain of custody: every acquisition, upload, view, download, export, transfer
and withdrawal of an item appends an event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from casemgr.audit.log import Actor
from casemgr.db import utcnow
from casemgr.evidence.models import CustodyEvent, EvidenceItem


def record_custody(
    session: Session, actor: Actor, item: EvidenceItem, action: str, note: str = ""
) -> CustodyEvent:
    """Append one custody event; the hash recorded is the item's content address. It is
    written by the caller's next flush or its commit: a flush of its own cost each upload
    two, and a briefing one per image."""
    event = CustodyEvent(
        evidence=item,
        action=action,
        actor_id=actor.user_id,
        at=utcnow(),
        sha256=item.sha256,
        note=note[:5000],
    )
    session.add(event)
    return event
