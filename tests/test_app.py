"""The app as a whole: database in use, pages behind login, error pages, headers."""

from __future__ import annotations

import re

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError

from casemgr.db import IDLE_BEFORE_PING, RETURNED_AT
from casemgr.extensions import db
from tests.conftest import TEST_DATABASE_URL


def test_suite_runs_on_the_database_it_was_given(app: Flask) -> None:
    with app.app_context():
        dialect = db.engine.dialect.name
    assert dialect == ("postgresql" if TEST_DATABASE_URL else "sqlite")


def test_sqlite_enforces_foreign_keys_and_uses_wal(app: Flask) -> None:
    if TEST_DATABASE_URL:
        return
    with app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_connection_that_died_while_idle_is_replaced_not_failed(app: Flask, client_as) -> None:
    """A pooled connection idle for longer than IDLE_BEFORE_PING is tested before use: one
    the server dropped meanwhile (a restart) is swapped for a new one, and the page works."""
    client = client_as("analyst")
    assert client.get("/cases").status_code == 200
    with app.app_context():
        pool = db.engine.pool
    pooled = pool.connect()  # the connection the request gave back
    dead, info = pooled.dbapi_connection, pooled.info
    pooled.close()
    dead.close()  # as the server would, behind the pool's back
    info[RETURNED_AT] -= IDLE_BEFORE_PING + 1
    assert client.get("/cases").status_code == 200
    pooled = pool.connect()
    assert pooled.dbapi_connection is not dead
    pooled.close()


def test_unknown_page_gets_the_styled_404(client_as) -> None:
    response = client_as("analyst").get("/no-such-page")
    assert response.status_code == 404
    assert b"Back to the dashboard" in response.data


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_use_no_inline_script_and_serve_their_own_assets(
    client: FlaskClient, client_as
) -> None:
    page = client_as("admin").get("/").get_data(as_text=True)
    assert "<script>" not in page and "<script " not in page.replace("<script src=", "")
    assert "https://" not in page and "http://" not in page
    login_page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js))"', login_page)
    assert len(assets) >= 3  # Bootstrap's CSS and JS, and our own stylesheet
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_uncaught_error_shows_a_generic_page_and_rolls_back(app: Flask, client_as) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = client_as("viewer").get("/boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Something went wrong" in response.data


@pytest.mark.parametrize("status", [403, 404, 409, 413, 500])
def test_error_pages_are_styled_and_keep_their_status(app: Flask, client_as, status: int) -> None:
    @app.route(f"/fail-{status}")
    def fail() -> str:
        abort(status)

    response = client_as("analyst").get(f"/fail-{status}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f">{status}<" in page and "Back to the dashboard" in page


@pytest.mark.parametrize("path", ["/race", "/api/v1/race"])
def test_a_save_racing_another_is_a_409_not_a_crash(app: Flask, client_as, path: str) -> None:
    @app.route(path)
    def race() -> str:
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row")

    response = client_as("analyst").get(path)
    assert response.status_code == 409
    assert "same moment" in response.get_data(as_text=True)


def test_the_health_check_answers_anyone_without_touching_the_database(
    app: Flask, client: FlaskClient
) -> None:
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        answer = client.get("/healthz")
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "ok\n")
    assert statements == []


def test_every_answer_says_how_long_the_app_took(client: FlaskClient) -> None:
    timing = client.get("/login").headers["Server-Timing"]
    assert timing.startswith("app;dur=") and float(timing.removeprefix("app;dur=")) > 0
