"""A backup taken while the app keeps writing holds one consistent state: the manifest's
counts are those of the snapshot, the audit chain verifies, and every file the snapshot
refers to is in the backup while files stored after it are left out."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from casemgr.audit.log import SYSTEM
from casemgr.backup import snapshot
from casemgr.cases.models import Case
from casemgr.extensions import db
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.backup.conftest import all_rows, manifest_of, run, store_of
from tests.briefings.story import put_file


class Writer(threading.Thread):
    """Another user of the app: a threat and a new evidence file, commit after commit."""

    def __init__(self, app: Flask, ref: str) -> None:
        super().__init__(daemon=True)
        self.app, self.ref = app, ref
        self.commits = 0
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                case = db.session.scalar(select(Case).where(Case.ref == self.ref))
                while not self.stopping.is_set():
                    self._write(case, self.commits + 1)
                    self.commits += 1
            except BaseException as error:  # handed to the test, which fails on it
                self.error = error
            finally:
                db.session.remove()

    def _write(self, case: Case, number: int) -> None:
        details = ThreatDetails(
            occurred_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
            channel="phone",
            text=f"Caller number {number}: we know where the office is.",
            threat_type="veiled",
        )
        log_threat(db.session, SYSTEM, case, details)
        note = f"Switchboard log, call {number}.\n".encode()
        put_file(db.session, SYSTEM, store_of(self.app), note, f"call-{number}.txt", case=case)
        db.session.commit()

    def wait_for(self, commits: int) -> None:
        deadline = time.monotonic() + 30
        while self.commits < commits and self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.commits >= commits, self.error

    def finish(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, repr(self.error)


def test_backup_while_the_app_writes_is_one_consistent_state(
    app: Flask,
    world: dict[str, str],
    empty_instance: Flask,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = Writer(app, world["ref"])
    copy_store_files = snapshot._copy_store_files

    def copy_after_more_writes(*args: object) -> object:
        # Make sure the app commits rows and files between the snapshot and the copying.
        writer.wait_for(writer.commits + 3)
        return copy_store_files(*args)

    monkeypatch.setattr(snapshot, "_copy_store_files", copy_after_more_writes)
    folder = tmp_path / "backup"
    writer.start()
    try:
        writer.wait_for(2)
        made = run(app, "backup", "create", str(folder))
    finally:
        writer.finish()
    assert made.exit_code == 0, made.output

    restored = run(empty_instance, "backup", "restore", str(folder))

    assert restored.exit_code == 0, restored.output
    counts = manifest_of(folder)["database"]["row_counts"]
    rows = all_rows(empty_instance)
    assert {name: len(table_rows) for name, table_rows in rows.items()} == counts
    assert len(all_rows(app)["threats"]) > counts["threats"] > 1
    backed_up = {
        entry["sha256"]
        for entry in manifest_of(folder)["files"]
        if entry["path"].startswith("store/")
    }
    evidence_hashes = {row.sha256 for row in rows["evidence_items"]}
    assert backed_up == evidence_hashes
    assert run(empty_instance, "audit", "verify").exit_code == 0
