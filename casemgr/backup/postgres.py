"""PostgreSQL snapshots with pg_dump (custom format) and restores with pg_restore. The dump
and the manifest's row counts read one exported snapshot; connection details, the password
included, reach the tools through libpq's environment variables, never the command line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from glob import glob
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from casemgr.backup.contents import DatabaseContents, connection_query, read_contents
from casemgr.backup.manifest import BackupRefused

# libpq's connection keywords a database URL may carry, and the variable for each.
LIBPQ_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "options": "PGOPTIONS",
    "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
TOOL_FOLDERS = "/usr/lib/postgresql/*/bin"


def libpq_environment(url: URL) -> dict[str, str]:
    """The environment for a libpq tool connecting where `url` points."""
    given: dict[str, object] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    for key, value in url.query.items():
        if key not in LIBPQ_ENVIRONMENT:
            raise BackupRefused(f"cannot pass the database URL option {key!r} to pg_dump")
        given[key] = value if isinstance(value, str) else value[-1]
    chosen = {LIBPQ_ENVIRONMENT[key]: str(value) for key, value in given.items() if value}
    return {**os.environ, **chosen}


def _major(version_text: str) -> int | None:
    found = re.search(r"\)\s+(\d+)", version_text)
    return int(found.group(1)) if found else None


def _folder_version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))


def find_tool(name: str, server_major: int) -> str:
    """`name` from PATH, else from the newest PostgreSQL installed; it must be at least as
    new as the server (an older pg_dump cannot read a newer server)."""
    installed = sorted(glob(f"{TOOL_FOLDERS}/{name}"), key=_folder_version, reverse=True)
    for path in filter(None, [shutil.which(name), *installed]):
        answer = subprocess.run(  # noqa: S603 - an argument list, no shell
            [path, "--version"], capture_output=True, text=True, check=False
        )
        major = _major(answer.stdout)
        if major is not None and major >= server_major:
            return path
    raise BackupRefused(
        f"no {name} for PostgreSQL {server_major} or newer: install "
        f"postgresql-client-{server_major} or put its {name} on PATH"
    )


def _server_major(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000


def _run(arguments: list[str], url: URL) -> None:
    done = subprocess.run(  # noqa: S603 - an argument list, no shell
        arguments, env=libpq_environment(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line] or lines or ["no message"]
        raise BackupRefused(f"{Path(arguments[0]).name} failed: {errors[0].strip()}")


def snapshot(engine: Engine, target: Path) -> DatabaseContents:
    """Dump the database into `target` and count what the same snapshot holds."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            # The transaction stays open until pg_dump has imported its snapshot.
            snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            contents = read_contents("postgresql", connection_query(connection))
            tool = find_tool("pg_dump", _server_major(connection))
            _run(
                [
                    tool,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--no-password",
                    f"--file={target}",
                ],
                engine.url,
            )
    return contents


def restore(engine: Engine, source: Path) -> None:
    """Load the dump into the configured database, all or nothing; tables the migrations
    made in the (empty) database are replaced by the dump's."""
    with engine.connect() as connection:
        tool = find_tool("pg_restore", _server_major(connection))
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={engine.url.database}",
            str(source),
        ],
        engine.url,
    )
