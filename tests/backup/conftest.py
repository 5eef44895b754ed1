"""Fixtures for the backup tests: a populated instance, a second empty instance to restore
into (a new SQLite file, or a new database on the test PostgreSQL server), and readers that
take every row of every table and every data file of an instance."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, Row, Table, create_engine, inspect, make_url, select, text

from casemgr.auth.models import User
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from tests.briefings.story import make_story
from tests.conftest import TEST_DATABASE_URL, build_app


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "MANIFEST.json").read_text())


def store_of(app: Flask) -> FileStore:
    return FileStore(Path(app.config["CASEMGR_DATA_DIR"]))


@pytest.fixture
def populated(app: Flask, world: dict[str, str], users: dict[str, User], tmp_path: Path) -> str:
    """The route-walking world plus the canonical story (threats, a reference photo and a
    doctored copy of it, notes, an assessment, a referral) and a sealed bundle of it."""
    with app.app_context():
        story = make_story(db.session, db.session.get(User, users["lead"].id), store_of(app))
        db.session.commit()
    recipient = ("--recipient", "Counter Terrorism Command, Protective Unit")
    bundle = ("--tlp", "TLP:AMBER", "-o", str(tmp_path / "bundle.zip"))
    exported = run(app, "bundle", "export", story.ref, *recipient, *bundle)
    assert exported.exit_code == 0, exported.output
    return story.ref


def _drop_engine(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_instance(tmp_path: Path) -> Iterator[Flask]:
    """A second instance with nothing in it, not even tables."""
    instance = tmp_path / "restored-instance"
    if not TEST_DATABASE_URL:
        target = build_app(instance, f"sqlite:///{tmp_path / 'restored.db'}")
        yield target
        _drop_engine(target)
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"casemgr_restore_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = build_app(instance, server.set(database=name).render_as_string(hide_password=False))
    yield target
    _drop_engine(target)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def all_rows(app: Flask) -> dict[str, Sequence[Row[Any]]]:
    """Every row of every table, ordered by primary key (by every column when none)."""
    with app.app_context(), db.engine.connect() as connection:
        rows = {}
        for name in sorted(inspect(connection).get_table_names()):
            table = Table(name, MetaData(), autoload_with=connection)
            order = list(table.primary_key.columns) or list(table.columns)
            rows[name] = connection.execute(select(table).order_by(*order)).all()
        return rows


def data_files(app: Flask) -> dict[str, bytes]:
    """Every file of the data folder (store and derived), by path; not upload temp files."""
    root = store_of(app).root
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] != "tmp"
    }


@pytest.fixture
def migrated_instance(empty_instance: Flask) -> Flask:
    """An empty instance whose tables the migrations made, as after `flask db upgrade`."""
    with empty_instance.app_context():
        upgrade()
        db.engine.dispose()
    return empty_instance
