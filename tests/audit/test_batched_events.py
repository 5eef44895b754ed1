"""Events appended in batches (`batched_events`, for the data generator): the same events and
the same chain as one by one, written by the caller's flush instead of two flushes each."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, batched_events, record_event, verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.extensions import db

ACTOR = Actor(None, "tester", "127.0.0.1")
CONTENT = ("actor_id", "actor", "action", "object_type", "object_id", "case_ref", "changes")


def record_five(session: Session) -> None:
    for number in range(5):
        changes = {"title": {"old": f"draft {number}", "new": f"final {number}"}}
        record_event(
            session, ACTOR, "case.update", "case", number, changes, f"TA-2026-{number:04d}"
        )


def content(event: AuditEvent) -> dict[str, Any]:
    return {field: getattr(event, field) for field in CONTENT}


def test_batched_events_are_the_events_one_by_one_would_write(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        record_five(session)
        session.commit()
        flushes: list[int] = []

        def count_flushes(flushed: Session, context: object) -> None:
            flushes.append(len(flushed.new))

        event.listen(session, "after_flush", count_flushes)
        with batched_events(session):
            record_five(session)
            assert all(pending.id is None for pending in session.new)  # nothing written yet
            session.commit()
        event.remove(session, "after_flush", count_flushes)
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        one_by_one, batched = events[:5], events[5:]
        assert [content(e) for e in batched] == [content(e) for e in one_by_one]
        assert batched[0].prev_hash == one_by_one[-1].hash
        assert flushes == [5]  # the commit's flush wrote the five
        assert verify_audit_chain(session) is None


def test_outside_a_batch_each_event_is_written_at_once(app: Flask) -> None:
    with app.app_context():
        with batched_events(db.session()):
            pass
        written = record_event(db.session, ACTOR, "case.update", "case", 1)
        assert written.id is not None
