"""Web hardening: cookie flags, session lifetime, the password again before exports and user
administration, CSRF on every form, and the security headers on every answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select

from casemgr.auth.models import LoginFailure, User
from casemgr.auth.recent import AUTHENTICATED_AT
from casemgr.briefings.models import Briefing
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from tests.auth.helpers import redirect_target, sample_url, write_routes
from tests.auth.test_csrf import csrf_app
from tests.conftest import build_app, log_in
from tests.factories import ROLES, TEST_PASSWORD, make_user, make_world

__all__ = ["csrf_app"]


def login_by_form(client: FlaskClient, username: str = "analyst") -> str:
    """Log in through the form; the session cookie's Set-Cookie header."""
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def age_login(client: FlaskClient, seconds: float) -> None:
    with client.session_transaction() as session:
        session[AUTHENTICATED_AT] = time.time() - seconds


def test_the_session_cookie_is_httponly_lax_and_lasts_the_session_lifetime(
    client: FlaskClient, users
) -> None:
    cookie = login_by_form(client)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # served over plain HTTP in development


def test_the_cookie_is_secure_when_served_over_https(
    migrated_database: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CASEMGR_SECURE_COOKIES", "1")
    app = build_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'unused.db'}")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_session_ends_its_lifetime_after_the_login(app: Flask, client: FlaskClient, users):
    login_by_form(client)
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    age_login(client, lifetime - 60)
    assert client.get("/").status_code == 200
    age_login(client, lifetime + 1)
    response = client.get("/cases")
    assert redirect_target(response) == ("/login", {"next": ["/cases"]})
    assert redirect_target(client.get("/"))[0] == "/login"  # logged out, not only redirected


def test_the_cookie_is_not_sent_again_with_every_page(client: FlaskClient, users) -> None:
    # Its expiry is the login's plus the lifetime; a page seen later extends nothing.
    login_by_form(client)
    client.get("/")  # the first page puts the forms' token in the session
    response = client.get("/")
    assert response.status_code == 200
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]


@pytest.fixture
def stale_client(app: Flask, users, world) -> FlaskClient:
    """An admin logged in 20 minutes ago: past the window of sensitive actions."""
    client = log_in(app.test_client(), users["admin"])
    age_login(client, 20 * 60)
    return client


@pytest.mark.parametrize("page", ["/cases/{ref}/briefings/new", "/subjects/1/bolo", "/admin/users"])
def test_exports_and_user_admin_ask_for_the_password_again(
    stale_client: FlaskClient, world, page: str
) -> None:
    url = page.format(ref=world["ref"])
    assert redirect_target(stale_client.get(url)) == ("/reauthenticate", {"next": [url]})
    assert stale_client.get("/cases").status_code == 200  # other pages go on as before


def test_a_stale_export_form_is_not_acted_on(app: Flask, stale_client: FlaskClient, world) -> None:
    url = f"/cases/{world['ref']}/briefings/new"
    form = {"recipient": "Det. Ines Morrow", "tlp": "amber", "sections": ["threats"]}
    answer = stale_client.post(url, data=form)
    assert redirect_target(answer) == ("/reauthenticate", {"next": [url]})
    with app.app_context():
        assert db.session.scalar(select(func.count(Briefing.id))) == 0


def test_the_password_prompt_refuses_a_wrong_one_then_leads_back(
    app: Flask, stale_client: FlaskClient
) -> None:
    wrong = stale_client.post("/reauthenticate?next=/admin/users", data={"password": "nope"})
    assert wrong.status_code == 401 and "Wrong password." in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 1
    right = stale_client.post("/reauthenticate?next=/admin/users", data={"password": TEST_PASSWORD})
    assert redirect_target(right)[0] == "/admin/users"
    assert stale_client.get("/admin/users").status_code == 200


def test_the_password_prompt_never_leads_off_site(stale_client: FlaskClient) -> None:
    answer = stale_client.post(
        "/reauthenticate?next=//evil.example/x", data={"password": TEST_PASSWORD}
    )
    assert redirect_target(answer)[0] == "/"


def test_api_tokens_are_not_asked_for_a_password(api_world, token_for) -> None:
    client, ref = api_world
    body = {"recipient": "Det. Ines Morrow", "tlp": "TLP:AMBER"}
    answer = client.post(f"/api/v1/cases/{ref}/briefings", json=body, headers=token_for("lead"))
    assert answer.status_code == 201


@pytest.fixture
def api_world(app: Flask, world) -> tuple[FlaskClient, str]:
    return app.test_client(), world["ref"]


@pytest.fixture
def guarded_app(csrf_app: Flask) -> Iterator[tuple[Flask, dict[str, str]]]:
    """CSRF on, every role, and one of everything for the routes to address."""
    with csrf_app.app_context():
        users = {role: make_user(db.session, role, username=f"{role}2") for role in ROLES}
        store = FileStore(Path(csrf_app.config["CASEMGR_DATA_DIR"]))
        samples = make_world(db.session, users, store)
        db.session.commit()
    yield csrf_app, samples


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        return {t: db.session.scalar(select(func.count()).select_from(db.table(t))) for t in tables}


def test_every_form_refuses_a_post_without_its_csrf_token(guarded_app) -> None:
    app, samples = guarded_app
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin2"))
    client = log_in(app.test_client(), admin)
    before = row_counts(app)
    wrong = {}
    for method, url, _ in write_routes(app, skip=frozenset({"auth.login"}), samples=samples):
        answer = client.open(url, method=method, data={"title": "No token", "password": "x"})
        if answer.status_code != 400:
            wrong[f"{method} {url}"] = answer.status_code
    assert wrong == {}
    assert row_counts(app) == before
    assert client.get("/").status_code == 200  # logout without a token did not log out


def test_every_answer_carries_the_security_headers(app: Flask, client_as, world, token_for) -> None:
    client = client_as("admin")
    urls = {
        sample_url(app, rule, world)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "bootstrap.static"
    }
    assert len(urls) > 40
    missing = {}
    for url in sorted(urls) + ["/no/such/page", "/api/v1/no-such"]:
        answer = client.get(url, headers=token_for("admin") if url.startswith("/api/") else {})
        headers = answer.headers
        csp = headers.get("Content-Security-Policy", "")
        good = (
            # The app's own policy, or the stricter one of an evidence download.
            ("script-src 'self'" in csp or "default-src 'none'" in csp)
            and "'unsafe-inline'" not in csp
            and "frame-ancestors 'none'" in csp
            and headers.get("X-Content-Type-Options") == "nosniff"
            and headers.get("Referrer-Policy") == "same-origin"
        )
        if not good:
            missing[url] = answer.status_code
    assert missing == {}


def test_the_reauthentication_window_is_a_setting(
    migrated_database: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CASEMGR_REAUTH_MINUTES", "5")
    monkeypatch.setenv("CASEMGR_SESSION_HOURS", "8")
    app = build_app(tmp_path / "instance", f"sqlite:///{tmp_path / 'unused.db'}")
    assert app.config["CASEMGR_REAUTH_AFTER"] == timedelta(minutes=5)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
