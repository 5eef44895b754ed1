"""Injected faults: a server killed in the middle of an upload, and a database error in the
middle of a request. Neither may leave a half-written file in the store or a partial record."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import OperationalError

from casemgr import PROJECT_ROOT
from casemgr.cases.models import Case
from casemgr.evidence.models import EvidenceItem
from casemgr.extensions import db

BOUNDARY = "casemgr-fault-boundary"
SERVER_START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(app: Flask, port: int) -> subprocess.Popen[bytes]:
    """The app in a process of its own on 127.0.0.1, on the test's instance and database."""
    env = os.environ | {
        "CASEMGR_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CASEMGR_DATA_DIR": app.config["CASEMGR_DATA_DIR"],
        "SECRET_KEY": "fault-test-secret",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - our own app, on loopback
        command + ["--host", "127.0.0.1", "--no-reload", "--no-debugger"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail("the server did not start")


def start_upload(port: int, token: str, ref: str, declared: int) -> socket.socket:
    """Headers and the start of a multipart upload announcing `declared` bytes."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="clip.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(
        (
            f"POST /api/v1/cases/{ref}/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(head) + declared}\r\n\r\n"
        ).encode()
        + head
    )
    return connection


def wait_for_staged_bytes(temp: Path, at_least: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if sum(path.stat().st_size for path in temp.glob("*") if path.is_file()) >= at_least:
            return
        time.sleep(0.05)
    pytest.fail("the upload never reached the staging folder")


def test_a_server_killed_mid_upload_leaves_no_stored_file_and_no_record(
    app: Flask, world: dict[str, str], token_for
) -> None:
    data = Path(app.config["CASEMGR_DATA_DIR"])
    stored_before = sorted((data / "store").rglob("*"))
    with app.app_context():
        items_before = db.session.scalar(select(func.count(EvidenceItem.id)))
    token = token_for("analyst")["Authorization"].removeprefix("Bearer ")
    server = start_server(app, port := free_port())
    try:
        upload = start_upload(port, token, world["ref"], declared=50 * 1024 * 1024)
        upload.sendall(os.urandom(4 * 1024 * 1024))
        wait_for_staged_bytes(data / "tmp", 1024 * 1024)
        os.kill(server.pid, signal.SIGKILL)  # no chance to clean up
        server.wait(timeout=10)
        upload.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    assert sorted((data / "store").rglob("*")) == stored_before
    with app.app_context():
        assert db.session.scalar(select(func.count(EvidenceItem.id))) == items_before


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        return {t: db.session.scalar(select(func.count()).select_from(db.table(t))) for t in tables}


def test_a_database_error_mid_request_rolls_the_whole_request_back(
    app: Flask, client_as, world: dict[str, str]
) -> None:
    """The case row is written, then the audit insert fails: neither may remain."""
    analyst = client_as("analyst")
    before = row_counts(app)

    def fail_on_audit(conn, cursor, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            raise OperationalError(statement, {}, Exception("disk I/O error"))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", fail_on_audit)
    try:
        answer = analyst.post("/cases/new", data={"title": "Written halfway", "priority": "high"})
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", fail_on_audit)
    assert answer.status_code == 500
    assert b"Something went wrong" in answer.data and b"disk I/O" not in answer.data
    assert row_counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Case).where(Case.title == "Written halfway")) is None
