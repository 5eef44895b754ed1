"""`backup restore`: into an empty instance only, after every file of the backup has been
checked against the manifest; then the restored instance is checked with the same
functions as `audit verify` and `evidence verify`."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from casemgr.audit.log import verify_audit_chain
from casemgr.backup import postgres, sqlite
from casemgr.backup.contents import connection_query, read_contents
from casemgr.backup.manifest import (
    INSTANCE_FOLDER,
    BackupFile,
    BackupRefused,
    Manifest,
    check_backup,
)
from casemgr.db import Base
from casemgr.evidence.operations import verify_store
from casemgr.evidence.store import FileStore, stage_stream

RESTORES = {"sqlite": sqlite.restore, "postgresql": postgres.restore}


@dataclass(frozen=True)
class RestoreReport:
    rows: int
    store_files: int
    instance_files: list[str]


def verified_manifest(folder: Path) -> Manifest:
    """The manifest of a backup whose every file matches it; BackupRefused naming the
    first problem otherwise."""
    check = check_backup(folder)
    if check.problems or check.manifest is None:
        more = len(check.problems) - 1
        raise BackupRefused(check.problems[0] + (f" (and {more} more problems)" if more else ""))
    return check.manifest


def restore_backup(
    session: Session, store: FileStore, instance: Path, folder: Path
) -> RestoreReport:
    """Restore the backup in `folder` into this (empty) instance and check the result.

    Raises BackupRefused, before changing anything, when a file of the backup does not
    match the manifest, the database kinds differ or the instance is not empty; and after
    restoring, when the restored instance does not match the manifest or fails a check."""
    manifest = verified_manifest(folder)
    engine = session.get_bind()
    kind = engine.dialect.name
    if manifest.database.kind != kind:
        raise BackupRefused(
            f"the backup holds a {manifest.database.kind} database; this instance uses {kind}"
        )
    _refuse_unless_empty(session, store)
    session.close()
    engine.dispose()  # no pooled connection may outlive the database it was opened on
    RESTORES[kind](engine, folder / manifest.database.file)
    engine.dispose()
    stored = [_restore_file(folder, entry, store, instance) for entry in manifest.files]
    problems = _restored_problems(session, store, manifest)
    if problems:
        raise BackupRefused(f"restored, but the result does not check out: {problems[0]}")
    return RestoreReport(
        rows=sum(manifest.database.row_counts.values()),
        store_files=stored.count("store"),
        instance_files=[
            PurePosixPath(entry.path).name
            for entry, top in zip(manifest.files, stored, strict=True)
            if top == INSTANCE_FOLDER
        ],
    )


def _refuse_unless_empty(session: Session, store: FileStore) -> None:
    present = set(inspect(session.connection()).get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name in present:
            rows = session.scalar(select(func.count()).select_from(table))
            if rows:
                raise BackupRefused(f"this instance is not empty: {table.name} has {rows} rows")
    if next(store.stored_hashes(), None) is not None:
        raise BackupRefused(f"this instance is not empty: {store.objects} holds files")


def _restore_file(folder: Path, entry: BackupFile, store: FileStore, instance: Path) -> str:
    """Put one file of the backup in its place (the database is already there); the top
    folder it came from."""
    top = PurePosixPath(entry.path).parts[0]
    source = folder / entry.path
    if top == "store":
        _put_in_store(source, entry, store)
    elif top == "derived":
        target = store.root / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    elif top == INSTANCE_FOLDER:
        _replace_private(source, instance / source.name)
    return top


def _put_in_store(source: Path, entry: BackupFile, store: FileStore) -> None:
    """Through the store's own staging: re-hashed on the way in, linked, read-only."""
    with source.open("rb") as handle:
        writer = stage_stream(handle, store.temp)
    try:
        staged = writer.staged()
        if staged.sha256 != entry.sha256:
            raise BackupRefused(f"{entry.path}: changed while being restored")
        store.put(staged)
    finally:
        writer.close()


def _replace_private(source: Path, target: Path) -> None:
    """Replace an instance file (the new instance made its own key) atomically, mode 600."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(handle, "wb") as writing, source.open("rb") as reading:
        shutil.copyfileobj(reading, writing)
    os.replace(name, target)


def _restored_problems(session: Session, store: FileStore, manifest: Manifest) -> list[str]:
    kind = manifest.database.kind
    contents = read_contents(kind, connection_query(session.connection()))
    expected = manifest.database.row_counts
    problems = [
        f"table {table}: {contents.row_counts.get(table, 0)} rows, the backup has "
        f"{expected.get(table, 0)}"
        for table in sorted(set(expected) | set(contents.row_counts))
        if contents.row_counts.get(table) != expected.get(table)
    ]
    if contents.alembic_revision != manifest.database.alembic_revision:
        problems.append(
            f"database at revision {contents.alembic_revision}, the backup at "
            f"{manifest.database.alembic_revision}"
        )
    broken = verify_audit_chain(session)
    if broken is not None:
        problems.append(f"audit chain broken at {broken}")
    problems += [f"evidence file {problem}" for problem in verify_store(session, store)]
    return problems
