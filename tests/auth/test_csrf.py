"""CSRF: with protection on (as in production), forms without their token change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from casemgr.auth.accounts import find_user
from casemgr.auth.models import LoginFailure, User
from casemgr.extensions import db
from tests.auth.helpers import redirect_target
from tests.conftest import (
    build_app,
    close_app,
    fresh_database,
    log_in,
)
from tests.factories import TEST_PASSWORD, make_user

NEW_USER = {"username": "zoe", "role": "analyst", "password": "correct horse battery staple"}


@pytest.fixture
def csrf_app(migrated_database: str, tmp_path: Path) -> Iterator[Flask]:
    """Like the `app` fixture, but with CSRF protection switched on."""
    url = fresh_database(migrated_database, tmp_path)
    app = build_app(tmp_path / "instance", url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        for role in ("admin", "analyst"):
            make_user(db.session, role)
        db.session.commit()
    yield app
    close_app(app)


@pytest.fixture
def admin_client(csrf_app: Flask) -> FlaskClient:
    with csrf_app.app_context():
        admin = find_user(db.session, "admin")
    return log_in(csrf_app.test_client(), admin)


def csrf_token_of(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, f"no csrf_token on {url}"
    return found.group(1)


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_login_without_csrf_token_is_refused_and_logs_nobody_in(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "analyst", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert redirect_target(client.get("/"))[0] == "/login"
    assert count(csrf_app, LoginFailure) == 0
    with csrf_app.app_context():
        assert find_user(db.session, "analyst").last_login_at is None


def test_login_with_its_csrf_token_works(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = csrf_token_of(client, "/login")
    data = {"username": "analyst", "password": TEST_PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/").status_code == 200


def test_create_user_without_csrf_token_is_refused_and_creates_nothing(
    csrf_app: Flask, admin_client: FlaskClient
) -> None:
    response = admin_client.post("/admin/users", data=NEW_USER)
    assert response.status_code == 400
    assert count(csrf_app, User) == 2


def test_create_user_with_its_csrf_token_works(csrf_app: Flask, admin_client: FlaskClient) -> None:
    token = csrf_token_of(admin_client, "/admin/users")
    response = admin_client.post("/admin/users", data={**NEW_USER, "csrf_token": token})
    assert response.status_code == 302
    assert count(csrf_app, User) == 3


def test_logout_without_csrf_token_keeps_the_session(admin_client: FlaskClient) -> None:
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/").status_code == 200
