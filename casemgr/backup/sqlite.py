"""SQLite snapshots through the online backup API, which copies pages under SQLite's own
locks: a consistent copy while the app keeps reading and writing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine

from casemgr.backup.contents import DatabaseContents, read_contents
from casemgr.backup.manifest import BackupRefused

BUSY_TIMEOUT_SECONDS = 30


def database_path(engine: Engine) -> Path:
    """The file of the configured SQLite database."""
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupRefused(f"the SQLite database {engine.url} is not a plain file")
    return Path(name)


def snapshot(engine: Engine, target: Path) -> DatabaseContents:
    """Copy the live database into `target` and read what the copy holds."""
    source = database_path(engine)
    if not source.is_file():
        raise BackupRefused(f"no SQLite database at {source}")
    with (
        closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        # All pages in one step: one read transaction, so one consistent state.
        live.backup(copy, pages=-1)
        # The copy takes the live file's WAL mode; a backup must be one self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")
        return read_contents("sqlite", lambda sql: copy.execute(sql).fetchall())


def restore(engine: Engine, source: Path) -> None:
    """Write the backup's pages into the configured database file. Through SQLite rather
    than a file copy: a copied file would meet the old -wal file beside it."""
    target = database_path(engine)
    target.parent.mkdir(parents=True, exist_ok=True)
    backup_uri = f"{source.resolve().as_uri()}?mode=ro&immutable=1"
    with (
        closing(sqlite3.connect(backup_uri, uri=True)) as backup,
        closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)) as live,
    ):
        backup.backup(live, pages=-1)
