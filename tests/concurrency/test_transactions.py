"""Transactions under concurrency: what a writing request locks, what a refused commit
answers, and writers to one case queueing for it instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.cases.access import get_case_or_404
from casemgr.cases.handoffs import Brief, accept_handoff, create_handoff, get_handoff
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.errors import Conflict, is_contention
from casemgr.extensions import db
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_user

sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite's own locking")


def _sqlite_file(app: Flask) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def _can_take_write_lock(database: Path) -> bool:
    """Whether another process could begin writing now (without waiting)."""
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@sqlite_only
@pytest.mark.parametrize(("method", "locks"), [("POST", True), ("PATCH", True), ("GET", False)])
def test_a_writing_request_holds_the_sqlite_write_lock_from_its_first_read(
    app: Flask, method: str, locks: bool
) -> None:
    with app.test_request_context("/api/v1/cases", method=method):
        db.session.scalar(select(func.count()).select_from(Case))
        assert _can_take_write_lock(_sqlite_file(app)) is not locks
    assert _can_take_write_lock(_sqlite_file(app))


def test_a_savepoint_released_in_a_request_is_undone_with_the_request(app: Flask) -> None:
    with app.test_request_context("/api/v1/cases/TA-2026-0001/evidence", method="POST"):
        with db.session.begin_nested():
            make_user(db.session, "analyst", username="kept-only-if-committed")
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(username="kept-only-if-committed")) is None


@pytest.mark.parametrize("path", ["/api/v1/commit-race", "/commit-race"])
def test_a_commit_the_database_refuses_is_a_409_and_saves_nothing(
    app: Flask, client_as: Callable[[str], Any], path: str
) -> None:
    @app.route(path, methods=["POST"])
    def commit_race() -> str:
        # Not flushed: the unique username is only refused by the commit after the view.
        db.session.add(User(username="fresh-user", role="analyst", password_hash="x"))
        db.session.add(User(username="analyst", role="analyst", password_hash="x"))
        return "saved"

    response = client_as("analyst").post(path)
    assert response.status_code == 409
    assert "same moment" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(username="fresh-user")) is None


def _sqlite_busy_error(tmp_path: Path) -> sqlite3.OperationalError:
    database = tmp_path / "busy.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(database, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.close()
    raise AssertionError("the second writer was not refused")


def _postgres_deadlock() -> Exception:
    errors = pytest.importorskip("psycopg.errors")
    return errors.DeadlockDetected("deadlock detected")


@pytest.mark.parametrize("make_origin", ["sqlite", "postgres"])
def test_a_busy_database_is_a_503_to_retry_not_a_500(
    app: Flask, client_as: Callable[[str], Any], tmp_path: Path, make_origin: str
) -> None:
    origin = _sqlite_busy_error(tmp_path) if make_origin == "sqlite" else _postgres_deadlock()

    @app.route("/api/v1/busy", methods=["POST"])
    def busy() -> str:
        raise OperationalError("COMMIT", None, origin)

    response = client_as("analyst").post("/api/v1/busy")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "1"


def test_other_database_errors_are_not_taken_for_contention() -> None:
    error = OperationalError("SELECT nothing", None, sqlite3.OperationalError("no such table"))
    assert not is_contention(error)


def in_turns(app: Flask, write: Callable[[Callable[[], None]], None]) -> list[BaseException | None]:
    """Run `write` in two writing requests at once. The first, having loaded what it needs,
    waits while the second starts; each outcome is None (committed) or the error raised."""
    loaded = threading.Event()
    outcomes: list[BaseException | None] = [None, None]

    def first_pause() -> None:
        loaded.set()
        time.sleep(0.5)  # the second request reaches the case meanwhile

    def run(slot: int, pause: Callable[[], None]) -> None:
        try:
            with app.test_request_context("/api/v1/race", method="POST"):
                write(pause)
                db.session.commit()
        except BaseException as error:  # reported to the test
            outcomes[slot] = error
        finally:
            loaded.set()

    first = threading.Thread(target=run, args=(0, first_pause))
    first.start()
    loaded.wait(timeout=20)
    second = threading.Thread(target=run, args=(1, lambda: None))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    return outcomes


@pytest.fixture
def case_ref(app: Flask, users: dict[str, User]) -> str:
    with app.app_context():
        analyst = db.session.get(User, users["analyst"].id)
        case = create_case(db.session, Actor(analyst.id, "analyst"), analyst, CaseDetails("Hot"))
        db.session.commit()
        return case.ref


def test_threats_logged_on_one_case_at_once_are_both_kept(
    app: Flask, users: dict[str, User], case_ref: str
) -> None:
    analyst = users["analyst"]

    def log(pause: Callable[[], None]) -> None:
        case = get_case_or_404(db.session, case_ref, analyst, "threat.log")
        pause()
        details = ThreatDetails(datetime(2026, 3, 2, tzinfo=UTC), "email", "Soon.", "veiled")
        log_threat(db.session, Actor(analyst.id, "analyst"), case, details)

    assert in_turns(app, log) == [None, None]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Threat)) == 2


def test_a_handoff_accepted_twice_at_once_is_taken_once(
    app: Flask, users: dict[str, User], case_ref: str
) -> None:
    analyst_id, lead_id = users["analyst"].id, users["lead"].id
    with app.app_context():
        analyst, lead = db.session.get(User, analyst_id), db.session.get(User, lead_id)
        case = get_case_or_404(db.session, case_ref, analyst)
        brief = Brief("Leave.", "Moderate.", "Watch the new accounts.")
        actor = Actor(analyst.id, "analyst")
        handoff_id = create_handoff(db.session, actor, analyst, case, lead, brief).id
        db.session.commit()

    def accept(pause: Callable[[], None]) -> None:
        handoff = get_handoff(db.session, handoff_id)
        pause()
        lead = db.session.get(User, lead_id)
        accept_handoff(db.session, Actor(lead_id, "lead"), lead, handoff)

    outcomes = in_turns(app, accept)  # either may win: PostgreSQL locks only when answering
    assert outcomes.count(None) == 1
    refusal = next(outcome for outcome in outcomes if outcome is not None)
    assert isinstance(refusal, Conflict) and "already accepted" in refusal.detail
