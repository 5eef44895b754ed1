"""Scratch instances for the in-process benchmarks: a temp folder with its own database
migrated by the real migrations (a SQLite file, or a new database on a PostgreSQL server,
dropped afterwards), and a lead to call the services as. Everything is removed on exit."""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.server import Instance, migrate
from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.accounts import create_user
from casemgr.auth.models import User
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.extensions import db

LEAD = "bench-lead"


@dataclass(frozen=True)
class Scratch:
    """A migrated instance with one lead; `app` is bound to its database."""

    instance: Instance
    app: Flask
    lead_id: int

    @property
    def database(self) -> str:
        return make_url(self.instance.database_url).get_backend_name()

    def lead(self) -> User:
        """The lead, in the current app context's session."""
        user = db.session.get(User, self.lead_id)
        assert user is not None
        return user

    def actor(self) -> Actor:
        return Actor(self.lead_id, LEAD, "127.0.0.1")

    def open_case(self, title: str) -> Case:
        """A new case owned by the lead, through the case service (flushed, not committed)."""
        return create_case(db.session, self.actor(), self.lead(), CaseDetails(title=title))


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver named, as the app's settings spell it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@contextmanager
def _database(folder: Path, server_url: str | None) -> Iterator[str]:
    """A SQLite file in `folder`, or a new database on the server at `server_url`."""
    if server_url is None:
        yield f"sqlite:///{folder / 'casemgr.db'}"
        return
    url = make_url(sqlalchemy_url(server_url))
    name = f"casemgr_bench_{secrets.token_hex(4)}"  # ours alone: dropped whole afterwards
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _quietly_migrate(app: Flask) -> None:
    # Alembic logs every revision at INFO; a benchmark's table should stand alone.
    logging.disable(logging.INFO)
    try:
        migrate(app)
    finally:
        logging.disable(logging.NOTSET)


@contextmanager
def scratch_instance(
    database_url: str | None = None, parent: Path | None = None, **config: object
) -> Iterator[Scratch]:
    """A fresh instance under `parent` (the system temp folder by default), on SQLite or on
    a new database of the PostgreSQL server at `database_url`; `config` overrides settings.
    The folder and the database are removed on exit, whatever happened."""
    folder = Path(tempfile.mkdtemp(prefix="casemgr-bench-", dir=parent))
    try:
        with _database(folder, database_url) as url:
            instance = Instance(folder / "instance", url, folder / "data")
            instance.folder.mkdir()
            app = instance.build_app()
            app.config.update(config)
            _quietly_migrate(app)
            with app.app_context():
                lead = create_user(db.session, SYSTEM, LEAD, "lead", secrets.token_urlsafe(24))
                db.session.commit()
                lead_id = lead.id
            try:
                yield Scratch(instance, app, lead_id)
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
