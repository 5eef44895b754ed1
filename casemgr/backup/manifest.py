"""The backup manifest (MANIFEST.json): every file with its SHA-256 and size, the database's
kind, revision and row counts; and the check of a backup folder against it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, BinaryIO, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from casemgr.briefings.signing import KEY_FILE
from casemgr.config import GENERATED_KEY_FILENAME
from casemgr.errors import CaseMgrError
from casemgr.evidence.store import CHUNK

MANIFEST = "MANIFEST.json"
FORMAT = "casemgr-backup/1"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Top-level folders: two mirror the data folder (store, derived); one the instance folder.
STORE_FOLDERS = ("store", "derived")
INSTANCE_FOLDER = "instance"
# Secret, and needed on a new machine: sessions stay valid, bundles keep their signer.
INSTANCE_FILES = (GENERATED_KEY_FILENAME, KEY_FILE)
SECRETS_NOTE = (
    "Files marked secret are the instance's session key and its private bundle-signing key: "
    "a restore on a new machine needs them to keep signing bundles under the same key. "
    "Keep this backup as safe as the server itself."
)


class BackupRefused(CaseMgrError):
    """A backup cannot be made, verified or restored; nothing was changed, or (after a
    restore) the restored instance fails its checks."""


def _relative(path: str) -> str:
    """A plain relative POSIX path: a manifest must never point outside its folder."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a relative path inside the backup: {path!r}")
    return path


class BackupFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Annotated[str, AfterValidator(_relative)]
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    secret: bool = False


class DatabaseSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sqlite", "postgresql"]
    file: str
    alembic_revision: str | None
    row_counts: dict[str, int]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["casemgr-backup/1"]
    created_at: AwareDatetime
    generator: str
    database: DatabaseSnapshot
    secrets: str = SECRETS_NOTE
    files: list[BackupFile]


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner can read; never replaces an existing one."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def write_manifest(folder: Path, manifest: Manifest) -> None:
    with create_private(folder / MANIFEST) as handle:
        handle.write(manifest.model_dump_json(indent=2).encode() + b"\n")


@dataclass
class BackupCheck:
    """What checking a backup folder found: the manifest (when readable) and the
    problems, each naming its file."""

    manifest: Manifest | None = None
    problems: list[str] = field(default_factory=list)


def check_backup(folder: Path) -> BackupCheck:
    """Check every file the manifest lists against its size and SHA-256, that the database
    file is there, and that nothing unlisted was added; restores nothing."""
    check = BackupCheck()
    try:
        check.manifest = Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        check.problems.append(f"{folder / MANIFEST}: missing (not a backup, or an unfinished one)")
        return check
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        check.problems.append(
            f"{MANIFEST}: not a casemgr backup manifest ({where}: {first['msg']})"
        )
        return check
    listed = {entry.path for entry in check.manifest.files}
    database = check.manifest.database
    if database.file != DATABASE_FILES[database.kind] or database.file not in listed:
        check.problems.append(f"{MANIFEST}: does not list the {database.kind} database file")
    for entry in check.manifest.files:
        check.problems += _file_problems(folder, entry, database.file)
    for path in sorted(_files_under(folder) - listed - {MANIFEST}):
        check.problems.append(f"{path}: not listed in the manifest")
    return check


def _belongs(path: str, database_file: str) -> bool:
    """Whether a backup holds such a file: restore puts nothing anywhere else."""
    parts = PurePosixPath(path).parts
    if parts[0] == INSTANCE_FOLDER:
        return len(parts) == 2 and parts[1] in INSTANCE_FILES
    return path == database_file or parts[0] in STORE_FOLDERS


def _file_problems(folder: Path, entry: BackupFile, database_file: str) -> list[str]:
    if not _belongs(entry.path, database_file):
        return [f"{entry.path}: not a file a backup holds"]
    path = folder / entry.path
    if path.is_symlink() or not path.is_file():
        return [f"{entry.path}: missing from the backup"]
    sha256, size = file_digest(path)
    if size != entry.size:
        return [f"{entry.path}: size does not match the manifest"]
    if sha256 != entry.sha256:
        return [f"{entry.path}: SHA-256 does not match the manifest"]
    return []


def _files_under(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    }
