"""What backup and restore refuse, each with one line naming the reason, changing nothing:
a folder already in use, an instance that is not empty, a backup with any changed file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.backup.conftest import all_rows, data_files, manifest_of, run, store_of


@pytest.fixture
def backup(app: Flask, world: dict[str, str], tmp_path: Path) -> Path:
    folder = tmp_path / "backup"
    made = run(app, "backup", "create", str(folder))
    assert made.exit_code == 0, made.output
    return folder


def store_entry(folder: Path) -> str:
    return next(e["path"] for e in manifest_of(folder)["files"] if e["path"].startswith("store/"))


def test_backup_refuses_a_folder_that_is_not_empty(app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("Last week's handover notes.\n")

    result = run(app, "backup", "create", str(folder))

    assert result.exit_code == 1
    assert result.output.strip() == f"error: {folder} is not an empty folder"
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_backup_refuses_a_store_missing_a_file_and_leaves_nothing(
    app: Flask, world: dict[str, str], tmp_path: Path
) -> None:
    (sha256,) = [path.name for path in store_of(app).objects.rglob("*") if path.is_file()]
    store_of(app).path(sha256).unlink()
    folder = tmp_path / "backup"

    result = run(app, "backup", "create", str(folder))

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: store file {sha256} is missing: run `flask evidence verify`"
    )
    assert list(folder.iterdir()) == []


def test_restore_refuses_an_instance_with_rows(app: Flask, backup: Path) -> None:
    before = all_rows(app)

    result = run(app, "backup", "restore", str(backup))

    assert result.exit_code == 1
    assert result.output.startswith("error: this instance is not empty: ")
    assert len(result.output.strip().splitlines()) == 1
    assert all_rows(app) == before


def test_restore_refuses_an_instance_whose_store_holds_files(
    backup: Path, empty_instance: Flask
) -> None:
    leftover = store_of(empty_instance).path("ab" * 32)
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"left over from an earlier install\n")

    result = run(empty_instance, "backup", "restore", str(backup))

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: this instance is not empty: {store_of(empty_instance).objects} holds files"
    )


def test_restore_reports_a_restored_instance_that_fails_its_checks(
    backup: Path, empty_instance: Flask
) -> None:
    # Taken out of the backup and of its manifest alike, so the backup itself verifies.
    manifest = manifest_of(backup)
    left_out = next(e for e in manifest["files"] if e["path"].startswith("store/"))
    manifest["files"].remove(left_out)
    (backup / "MANIFEST.json").write_text(json.dumps(manifest))
    (backup / left_out["path"]).unlink()

    result = run(empty_instance, "backup", "restore", str(backup))

    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: restored, but the result does not check out: "
        f"evidence file {left_out['sha256']} missing (evidence item 1)"
    )


def alter(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_restore_names_a_tampered_file_and_changes_nothing(
    backup: Path, empty_instance: Flask
) -> None:
    tampered = store_entry(backup)
    alter(backup / tampered)

    result = run(empty_instance, "backup", "restore", str(backup))

    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tampered}: SHA-256 does not match the manifest"
    assert not any(rows for rows in all_rows(empty_instance).values())
    assert data_files(empty_instance) == {}


def altered_database(folder: Path) -> str:
    name = manifest_of(folder)["database"]["file"]
    alter(folder / name)
    return f"{name}: SHA-256 does not match the manifest"


def emptied_key(folder: Path) -> str:
    (folder / "instance/secret_key").write_bytes(b"")
    return "instance/secret_key: size does not match the manifest"


def removed_store_file(folder: Path) -> str:
    path = store_entry(folder)
    (folder / path).unlink()
    return f"{path}: missing from the backup"


def added_file(folder: Path) -> str:
    (folder / "instance/extra.pem").write_text("a key from elsewhere\n")
    return "instance/extra.pem: not listed in the manifest"


def emptied_manifest(folder: Path) -> str:
    (folder / "MANIFEST.json").write_text("{}")
    return "MANIFEST.json: not a casemgr backup manifest (format: Field required)"


@pytest.mark.parametrize(
    "tamper",
    [altered_database, emptied_key, removed_store_file, added_file, emptied_manifest],
    ids=lambda tamper: tamper.__name__,
)
def test_verify_names_any_changed_missing_or_added_file(
    app: Flask, backup: Path, tamper: Callable[[Path], str]
) -> None:
    assert run(app, "backup", "verify", str(backup)).exit_code == 0
    expected = tamper(backup)

    result = run(app, "backup", "verify", str(backup))

    assert result.exit_code == 1
    assert result.output.strip() == f"error: {expected}"
