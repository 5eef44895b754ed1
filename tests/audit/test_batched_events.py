"""Events appended in batches (`batched_events`, for the data generator): the same events and
the same chain as one by one, written as rows by the caller's flush or commit instead of two
flushes each, and dropped with the work of a rollback or of a savepoint rolled back."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from casemgr.audit.log import Actor, batched_events, record_event, verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.auth.models import User
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


def stored(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_batched_events_are_the_events_one_by_one_would_write(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        record_five(session)
        session.commit()
        inserts: list[int] = []

        def count_inserts(connection, cursor, statement, parameters, context, many) -> None:
            if statement.startswith("INSERT INTO audit_events"):
                inserts.append(len(parameters) if many else 1)

        event.listen(db.engine, "before_cursor_execute", count_inserts)
        with batched_events(session):
            record_five(session)
            assert inserts == []  # nothing written yet
            session.commit()
        event.remove(db.engine, "before_cursor_execute", count_inserts)
        events = stored(session)
        one_by_one, batched = events[:5], events[5:]
        assert [content(e) for e in batched] == [content(e) for e in one_by_one]
        assert batched[0].prev_hash == one_by_one[-1].hash
        assert inserts == [5]  # the commit wrote the five, in one statement
        assert verify_audit_chain(session) is None


def test_a_flush_writes_the_batch_before_its_own_rows(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        with batched_events(session):
            record_five(session)
            session.add(
                User(username="kestrel", display_name="Kestrel", role="viewer", password_hash="x")
            )
            session.flush()
            assert len(stored(session)) == 5
        session.commit()
        assert verify_audit_chain(session) is None


def test_a_rollback_drops_the_batch_and_a_savepoint_keeps_what_came_before(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        with batched_events(session):
            record_five(session)
            session.rollback()
            assert stored(session) == []
            record_event(session, ACTOR, "case.update", "case", "kept", {}, None)
            with contextlib.suppress(RuntimeError), session.begin_nested():
                record_event(session, ACTOR, "case.update", "case", "dropped", {}, None)
                raise RuntimeError("the savepoint's work fails")
            record_event(session, ACTOR, "case.update", "case", "after", {}, None)
            session.commit()
        assert [e.object_id for e in stored(session)] == ["kept", "after"]
        assert verify_audit_chain(session) is None


def test_outside_a_batch_each_event_is_written_at_once(app: Flask) -> None:
    with app.app_context():
        with batched_events(db.session()):
            pass
        written = record_event(db.session, ACTOR, "case.update", "case", 1)
        assert written is not None and written.id is not None
