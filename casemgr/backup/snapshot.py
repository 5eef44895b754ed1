"""`backup create`: the database snapshot first, then every store file the snapshot refers
to (files stored later may be left out, never the other way round), the instance's keys,
and the manifest last, so a folder without MANIFEST.json is an unfinished backup."""

from __future__ import annotations

import hashlib
import shutil
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import Engine

from casemgr.backup import postgres, sqlite
from casemgr.backup.contents import DatabaseContents
from casemgr.backup.manifest import (
    DATABASE_FILES,
    FORMAT,
    INSTANCE_FILES,
    INSTANCE_FOLDER,
    BackupFile,
    BackupRefused,
    DatabaseSnapshot,
    Manifest,
    create_private,
    file_digest,
    write_manifest,
)
from casemgr.db import utcnow
from casemgr.evidence.store import CHUNK, FileStore

SNAPSHOTS = {"sqlite": sqlite.snapshot, "postgresql": postgres.snapshot}


def create_backup(folder: Path, engine: Engine, store: FileStore, instance: Path) -> Manifest:
    """Write a consistent backup of the instance into `folder` (mode 700, files 600).

    Raises BackupRefused when `folder` is not new or empty, the database kind is not
    supported, the dump fails or a store file is missing or altered; what was written by
    then is removed."""
    _prepare(folder)
    try:
        return _write_backup(folder, engine, store, instance)
    except BaseException:
        for path in folder.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        raise


def _prepare(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused(f"{folder} is not an empty folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def _write_backup(folder: Path, engine: Engine, store: FileStore, instance: Path) -> Manifest:
    kind = engine.dialect.name
    if kind not in SNAPSHOTS:
        raise BackupRefused(f"cannot back up a {kind} database")
    database = folder / DATABASE_FILES[kind]
    create_private(database).close()  # the dump fills it, never readable by others
    contents = SNAPSHOTS[kind](engine, database)
    files = [_listed(folder, database)]
    files += _copy_store_files(store, contents, folder)
    files += _copy_instance_files(instance, folder)
    manifest = Manifest(
        format=FORMAT,
        created_at=utcnow(),
        generator=f"casemgr {version('casemgr')}",
        database=DatabaseSnapshot(
            kind=kind,
            file=database.name,
            alembic_revision=contents.alembic_revision,
            row_counts=contents.row_counts,
        ),
        files=sorted(files, key=lambda entry: entry.path),
    )
    write_manifest(folder, manifest)
    return manifest


def _listed(folder: Path, path: Path) -> BackupFile:
    sha256, size = file_digest(path)
    return BackupFile(path=path.relative_to(folder).as_posix(), sha256=sha256, size=size)


def _copy(source: Path, folder: Path, relative: Path, secret: bool = False) -> BackupFile:
    """Copy `source` to `folder / relative` (mode 600), hashing on the way."""
    target = folder / relative
    # One level at a time: with parents=True, mkdir gives the upper levels the umask's mode.
    for level in reversed(relative.parents[:-1]):
        (folder / level).mkdir(mode=0o700, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reading, create_private(target) as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writing.write(chunk)
    return BackupFile(path=relative.as_posix(), sha256=digest.hexdigest(), size=size, secret=secret)


def _copy_store_files(
    store: FileStore, contents: DatabaseContents, folder: Path
) -> list[BackupFile]:
    """Each referred file, and the thumbnails and previews made from it, at the same place
    relative to the data folder."""
    files = []
    for sha256 in contents.store_files:
        source = store.path(sha256)
        if not source.is_file():
            raise BackupRefused(f"store file {sha256} is missing: run `flask evidence verify`")
        files.append(_copy(source, folder, source.relative_to(store.root)))
        if files[-1].sha256 != sha256:
            raise BackupRefused(f"store file {sha256} is altered: run `flask evidence verify`")
        files += [
            _copy(made, folder, made.relative_to(store.root))
            for made in _derived_files(store.derived(sha256))
        ]
    return files


def _derived_files(derived: Path) -> list[Path]:
    """The finished files made from a stored one; not the temp files of a write under way."""
    if not derived.is_dir():
        return []
    return sorted(
        path
        for path in derived.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".tmp"
    )


def _copy_instance_files(instance: Path, folder: Path) -> list[BackupFile]:
    return [
        _copy(instance / name, folder, Path(INSTANCE_FOLDER, name), secret=True)
        for name in INSTANCE_FILES
        if (instance / name).is_file()
    ]
