"""The migrations: from empty to head, no drift from the models, down to base and up again,
and the data a migration fills in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from casemgr import PROJECT_ROOT
from casemgr.audit.log import Actor
from casemgr.auth.accounts import create_user
from casemgr.briefings.models import Briefing
from casemgr.briefings.operations import disclosure_log
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.extensions import db
from casemgr.search.models import include_in_schema_comparison
from tests.conftest import TEST_DATABASE_URL, build_app


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new file, or a scratch database on the server."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = make_url(TEST_DATABASE_URL)
    scratch = f"{server.database}_migrations"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    yield server.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_app(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = build_app(tmp_path / "instance", empty_database)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def head_revision() -> str:
    scripts = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    heads = scripts.get_heads()
    assert len(heads) == 1, f"the migrations must have one head, not {heads}"
    return heads[0]


def schema_differences() -> list[object]:
    with db.engine.connect() as connection:
        options = {"compare_type": True, "include_object": include_in_schema_comparison}
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, db.metadata)


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_reaches_head_with_every_table(empty_app: Flask) -> None:
    upgrade()
    assert current_revision() == head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(empty_app: Flask) -> None:
    upgrade()
    assert schema_differences() == []


def test_downgrade_to_base_then_upgrade_again(empty_app: Flask) -> None:
    upgrade()
    downgrade(revision="base")
    assert current_revision() is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert current_revision() == head_revision()
    assert schema_differences() == []


def test_migration_files_are_named_by_date() -> None:
    names = [path.name for path in (PROJECT_ROOT / "migrations" / "versions").glob("*.py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_" and name[9:13].isdigit(), name


def test_bolo_sheets_made_before_are_linked_to_the_cases_they_drew_on(empty_app: Flask) -> None:
    upgrade(revision="158d4ee8d618")  # the one before briefing_cases
    actor = Actor(None, "tests")
    owner = create_user(db.session, actor, "kestrel", "analyst", "a long enough password")
    first, second, third = (
        create_case(db.session, actor, owner, CaseDetails(title)) for title in "ABC"
    )
    sheet = Briefing(
        kind="bolo",
        recipient="Front desk",
        marking="TLP:AMBER",
        options={"on_sight": "Call security.", "case_refs": [first.ref, third.ref, "TA-1999-0001"]},
        sha256="0" * 64,
        size=1,
    )
    db.session.add(sheet)
    db.session.commit()
    upgrade()
    links = db.session.execute(text("SELECT briefing_id, case_id FROM briefing_cases")).all()
    assert sorted(links) == [
        (sheet.id, first.id),
        (sheet.id, third.id),
    ]  # an unknown ref is skipped
    assert disclosure_log(db.session, third) == [sheet] and disclosure_log(db.session, second) == []
