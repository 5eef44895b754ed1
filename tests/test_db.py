"""Helpers every service shares (casemgr/db.py): rows found in the session before the
database, and a flush only when a new row's id is still to be made."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event, inspect

from casemgr.db import flush_for_id, loaded
from casemgr.extensions import db
from casemgr.people.models import Protectee
from tests.cases.conftest import make_protectee


def test_rows_held_by_the_session_are_not_read_again_and_the_rest_in_one_query(
    app: Flask,
) -> None:
    with app.app_context():
        session = db.session
        held, other = make_protectee(session, "Adrian Kessler"), make_protectee(session, "Lena Ort")
        session.flush()
        held_id, other_id = held.id, other.id
        session.expunge(other)
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", record)
        found = loaded(session, Protectee, [held_id, other_id, 999_999])
        event.remove(db.engine, "before_cursor_execute", record)
        assert found[held_id] is held
        assert found[other_id] is not other and found[other_id].name == "Lena Ort"
        assert set(found) == {held_id, other_id}
        assert len(statements) == 1 and "FROM protectees" in statements[0]


def test_a_new_row_is_flushed_for_its_id_unless_it_was_given_one(app: Flask) -> None:
    with app.app_context():
        session = db.session
        made = Protectee(name="Mira Solberg")
        session.add(made)
        flush_for_id(session, made)
        assert made.id is not None and inspect(made).persistent
        given = Protectee(id=made.id + 100, name="Tomas Reyes")
        session.add(given)
        flush_for_id(session, given)
        assert inspect(given).pending  # written with the next flush
        session.flush()
        assert session.get(Protectee, made.id + 100) is given
