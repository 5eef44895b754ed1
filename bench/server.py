"""A casemgr instance served by gunicorn for the load test: prepared (migrated, with load
users and their tokens), served on a free 127.0.0.1 port, and stopped by the PID started."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from flask import Flask
from flask_migrate import upgrade

from casemgr import PROJECT_ROOT, create_app
from casemgr.audit.log import SYSTEM
from casemgr.auth.accounts import create_user
from casemgr.auth.tokens import issue_token
from casemgr.extensions import db

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Instance:
    """Where an instance keeps its settings, files and data."""

    folder: Path
    database_url: str
    data_dir: Path

    @classmethod
    def of(cls, app: Flask) -> Instance:
        """The instance an app was built on (e.g. the tests' `app` fixture)."""
        return cls(
            Path(app.instance_path),
            app.config["SQLALCHEMY_DATABASE_URI"],
            Path(app.config["CASEMGR_DATA_DIR"]),
        )

    def environment(self) -> dict[str, str]:
        """The variables that point `app:app` at this instance."""
        return {
            "CASEMGR_INSTANCE_PATH": str(self.folder),
            "DATABASE_URL": self.database_url,
            "CASEMGR_DATA_DIR": str(self.data_dir),
        }

    def build_app(self) -> Flask:
        """An app on this instance in this process, to migrate it and check it afterwards."""
        os.environ["CASEMGR_INSTANCE_PATH"] = str(self.folder)
        return create_app(
            {"SQLALCHEMY_DATABASE_URI": self.database_url, "CASEMGR_DATA_DIR": str(self.data_dir)}
        )


def migrate(app: Flask) -> None:
    with app.app_context():
        upgrade()
        db.engine.dispose()


def add_load_users(app: Flask, count: int) -> list[str]:
    """`count` analysts named load-1, load-2, ..., each with a new API token; the tokens."""
    tokens = []
    with app.app_context():
        for number in range(1, count + 1):
            password = secrets.token_urlsafe(24)
            user = create_user(db.session, SYSTEM, f"load-{number}", "analyst", password)
            tokens.append(issue_token(db.session, SYSTEM, user, "load test")[1])
        db.session.commit()
        db.engine.dispose()
    return tokens


class GunicornServer:
    """gunicorn serving `app:app` for one instance on a free 127.0.0.1 port.

    The listening socket is opened here and handed over (`fd://`), so no other process can
    take the port between choosing and binding it. Use as a context manager.
    """

    def __init__(self, instance: Instance, workers: int, log: Path) -> None:
        self.instance, self.workers, self.log = instance, workers, log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        listener = socket.create_server((LOOPBACK, 0))
        self.port = listener.getsockname()[1]
        command = [
            *(sys.executable, "-m", "gunicorn", "--chdir", str(PROJECT_ROOT)),
            *("--workers", str(self.workers), "--bind", f"fd://{listener.fileno()}"),
            *("--timeout", "120", "--graceful-timeout", "20", "--log-level", "warning"),
            "app:app",
        ]
        with listener, self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                env=os.environ | self.instance.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
        self._wait_until_answering(timeout)

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log}")
            try:
                connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
                connection.request("GET", "/login")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.log}")

    def stop(self) -> None:
        """SIGTERM to the master we started (its workers finish their request and exit)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> GunicornServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
