"""The audit log: append-only in the database, hash-chained, and verified by a command."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from casemgr.audit.chain import GENESIS, HASHED_FIELDS, event_hash, field_changes, find_broken_link
from casemgr.audit.log import SYSTEM, Actor, batched_events, record_event, verify_audit_chain
from casemgr.audit.models import AuditEvent
from casemgr.auth.accounts import create_user
from casemgr.extensions import db


def write_events(app: Flask, count: int) -> None:
    with app.app_context():
        for number in range(count):
            record_event(
                db.session,
                Actor(None, "tester", "127.0.0.1"),
                "case.update",
                "case",
                number,
                {"title": {"old": f"draft {number}", "new": f"final {number}"}},
                case_ref=f"TA-2026-{number:04d}",
            )
        db.session.commit()


def tamper(app: Flask, statement: str) -> None:
    """What an intruder with database-owner rights could do: lift the guard, then edit."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Transactional DDL: the guard is back for other tests once this commits.
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            connection.execute(text(statement))
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:  # each SQLite test has its own copy of the database
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(text(statement))


def test_verify_passes_on_a_fresh_database(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact" in result.output


def test_verify_passes_on_an_untouched_chain(app: Flask, runner: FlaskCliRunner) -> None:
    write_events(app, 5)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_events_link_each_to_the_one_before(app: Flask) -> None:
    write_events(app, 3)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[0].prev_hash == GENESIS
    assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
    assert events[0].at.tzinfo is not None


def test_an_edited_old_event_is_detected(app: Flask, runner: FlaskCliRunner) -> None:
    write_events(app, 5)
    tamper(app, "UPDATE audit_events SET actor = 'someone else' WHERE id = 2")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "audit event 2" in result.output
    assert "edited" in result.output


def test_a_deleted_event_is_detected(app: Flask, runner: FlaskCliRunner) -> None:
    write_events(app, 5)
    tamper(app, "DELETE FROM audit_events WHERE id = 3")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "audit event 4" in result.output
    assert "deleted" in result.output


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link(app: Flask) -> None:
    write_events(app, 4)
    with app.app_context():
        second = db.session.get(AuditEvent, 2)
        forged = {field: getattr(second, field) for field in HASHED_FIELDS}
        forged["actor"] = "someone else"
        forged_hash = event_hash(second.prev_hash, forged)
    tamper(
        app, f"UPDATE audit_events SET actor = 'someone else', hash = '{forged_hash}' WHERE id = 2"
    )
    with app.app_context():
        broken = verify_audit_chain(db.session)
    assert broken is not None and broken.event_id == 3


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'x' WHERE id = 1", "DELETE FROM audit_events WHERE id = 1"],
)
def test_the_database_refuses_to_change_or_delete_events(app: Flask, statement: str) -> None:
    write_events(app, 1)
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(statement))
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_an_event_is_written_in_the_same_transaction_as_its_change(app: Flask) -> None:
    with app.app_context():
        create_user(db.session, SYSTEM, "kestrel", "analyst", "a long enough password")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("batched", [False, True])
def test_events_after_a_rolled_back_savepoint_link_to_the_last_event_kept(
    app: Flask, batched: bool
) -> None:
    actor = Actor(None, "tester", "127.0.0.1")
    with app.app_context(), batched_events(db.session()) if batched else nullcontext():
        session = db.session
        record_event(session, actor, "case.update", "case", 1)
        record_event(session, actor, "case.update", "case", 2)  # in the same transaction
        savepoint = session.begin_nested()
        record_event(session, actor, "case.update", "case", 3)
        savepoint.rollback()
        record_event(session, actor, "case.update", "case", 4)
        session.commit()
        record_event(session, actor, "case.update", "case", 5)  # in a new transaction
        session.commit()
        kept = session.scalars(select(AuditEvent.object_id).order_by(AuditEvent.id)).all()
        assert kept == ["1", "2", "4", "5"]
        assert verify_audit_chain(session) is None


def test_field_changes_lists_only_what_changed() -> None:
    before = {"title": "Old", "priority": "normal", "restricted": False}
    after = {"title": "New", "priority": "normal", "restricted": True}
    assert field_changes(before, after) == {
        "restricted": {"old": False, "new": True},
        "title": {"old": "Old", "new": "New"},
    }


def test_find_broken_link_on_plain_events() -> None:
    first = {
        "id": 1,
        "at": "2026-01-01T00:00:00+00:00",
        "actor_id": None,
        "actor": "a",
        "action": "x",
        "object_type": "case",
        "object_id": "1",
        "case_ref": None,
        "changes": {},
        "address": "",
        "prev_hash": GENESIS,
    }
    first["hash"] = event_hash(GENESIS, first)
    second = dict(first, id=2, prev_hash=first["hash"])
    second["hash"] = event_hash(first["hash"], second)
    assert find_broken_link([first, second]) is None
    assert find_broken_link([second]) is not None
    assert find_broken_link([first, dict(second, action="y")]).event_id == 2
