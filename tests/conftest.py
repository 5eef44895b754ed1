"""Test fixtures: an app on a temporary instance folder, migrated by the real migrations.

SQLite by default; `TEST_DATABASE_URL` points the suite at PostgreSQL instead.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import inspect, text

from casemgr import create_app
from casemgr.auth.models import User
from casemgr.auth.recent import AUTHENTICATED_AT
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from tests.factories import ROLES, make_token, make_user, make_world

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# Property tests and the API fuzzing draw new inputs each run, and so go on finding what earlier
# runs missed; CI draws the same ones every run, so that only a change can fail it.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


def build_app(instance: Path, database_url: str, **overrides: object) -> Flask:
    config: dict[str, object] = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "CASEMGR_DATA_DIR": str(instance / "data"),
    }
    config.update(overrides)
    os.environ["CASEMGR_INSTANCE_PATH"] = str(instance)
    return create_app(config)


def reset_postgres(url: str, instance: Path) -> None:
    """Empty the test database completely before the real migrations build it."""
    app = build_app(instance, url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the head revision: a template file on SQLite, the server on PostgreSQL."""
    if TEST_DATABASE_URL:
        reset_postgres(TEST_DATABASE_URL, tmp_path_factory.mktemp("reset-instance"))
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
    app = build_app(tmp_path_factory.mktemp("template-instance"), url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _truncate_all(app: Flask) -> None:
    with app.app_context():
        tables = [
            name for name in inspect(db.engine).get_table_names() if name != "alembic_version"
        ]
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def fresh_database(migrated_database: str, folder: Path) -> str:
    """The URL of a database holding the schema and nothing else: on SQLite a copy of the
    migrated file in `folder`; on PostgreSQL the test database, which `close_app` empties."""
    if TEST_DATABASE_URL:
        return migrated_database
    database = folder / "casemgr.db"
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), database)
    return f"sqlite:///{database}"


def close_app(app: Flask) -> None:
    """End an app's use of its database, leaving PostgreSQL's empty for the next test."""
    if TEST_DATABASE_URL:
        _truncate_all(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(migrated_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(tmp_path / "instance", fresh_database(migrated_database, tmp_path))
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    """One active user per role, named after the role."""
    with app.app_context():
        made = {role: make_user(db.session, role) for role in ROLES}
        db.session.commit()
        for user in made.values():
            db.session.refresh(user)
            db.session.expunge(user)
    return made


def log_in(client: FlaskClient, user: User) -> FlaskClient:
    """Start a session for `user` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[AUTHENTICATED_AT] = time.time()
    return client


@pytest.fixture
def client_as(app: Flask, users: dict[str, User]) -> Callable[[str], FlaskClient]:
    """A new test client logged in as the user of the given role."""
    return lambda role: log_in(app.test_client(), users[role])


@pytest.fixture
def token_for(app: Flask, users: dict[str, User]) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a fresh API token for the user of the given role."""

    def headers(role: str) -> dict[str, str]:
        with app.app_context():
            token = make_token(db.session, db.session.get(User, users[role].id))
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def world(app: Flask, users: dict[str, User]) -> dict[str, str]:
    """One of everything routes address; sample values for string route arguments."""
    with app.app_context():
        samples = make_world(db.session, users, FileStore(Path(app.config["CASEMGR_DATA_DIR"])))
        db.session.commit()
    return samples
