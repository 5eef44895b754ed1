"""A backup restored into a new, empty instance gives back every row of every table, every
stored file byte for byte and the instance's keys, and the restored instance keeps working."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from casemgr.audit.log import SYSTEM, verify_audit_chain
from casemgr.briefings.signing import instance_key
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.backup.conftest import all_rows, data_files, manifest_of, run


def test_restore_gives_back_every_row_every_file_and_the_signing_key(
    app: Flask, populated: str, empty_instance: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    made = run(app, "backup", "create", str(folder))
    assert made.exit_code == 0, made.output

    restored = run(empty_instance, "backup", "restore", str(folder))

    assert restored.exit_code == 0, restored.output
    assert "audit chain and evidence store intact" in restored.output
    rows = all_rows(app)
    assert rows["evidence_items"] and rows["briefings"] and rows["audit_events"]
    assert all_rows(empty_instance) == rows
    files = data_files(app)
    assert any(path.startswith("derived/") for path in files)
    assert data_files(empty_instance) == files
    original_key = instance_key(Path(app.instance_path)).fingerprint
    assert instance_key(Path(empty_instance.instance_path)).fingerprint == original_key


def test_restore_replaces_the_empty_tables_of_a_migrated_instance(
    app: Flask, world: dict[str, str], migrated_instance: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    assert run(app, "backup", "create", str(folder)).exit_code == 0

    restored = run(migrated_instance, "backup", "restore", str(folder))

    assert restored.exit_code == 0, restored.output
    assert all_rows(migrated_instance) == all_rows(app)


def test_restored_instance_keeps_working(
    app: Flask, populated: str, empty_instance: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    assert run(app, "backup", "create", str(folder)).exit_code == 0
    assert run(empty_instance, "backup", "restore", str(folder)).exit_code == 0

    with empty_instance.app_context():
        case = db.session.scalar(select(Case).where(Case.ref == populated))
        threat = log_threat(
            db.session,
            SYSTEM,
            case,
            ThreatDetails(
                occurred_at=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
                channel="email",
                text="The new office will not keep you safe.",
                threat_type="veiled",
            ),
        )
        db.session.commit()
        assert threat.id > 0
        assert verify_audit_chain(db.session) is None
    assert run(empty_instance, "evidence", "verify").exit_code == 0


def test_backup_is_private_and_its_manifest_lists_every_file_and_table(
    app: Flask, populated: str, tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    assert run(app, "backup", "create", str(folder)).exit_code == 0

    manifest = manifest_of(folder)
    files = sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
    )
    assert files == sorted([entry["path"] for entry in manifest["files"]] + ["MANIFEST.json"])
    folders = [folder, *(path for path in folder.rglob("*") if path.is_dir())]
    assert {stat.S_IMODE(path.stat().st_mode) for path in folders} == {0o700}
    assert len(folders) > 3  # the store's levels and the instance files' folder
    assert {stat.S_IMODE((folder / name).stat().st_mode) for name in files} == {0o600}
    secret = {entry["path"] for entry in manifest["files"] if entry["secret"]}
    assert secret == {"instance/secret_key", "instance/bundle_signing_key.pem"}
    counts = {name: len(rows) for name, rows in all_rows(app).items()}
    assert manifest["database"]["row_counts"] == counts
    assert manifest["database"]["alembic_revision"]
    assert run(app, "backup", "verify", str(folder)).exit_code == 0
