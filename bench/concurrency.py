"""`make bench`: the concurrency load on a fresh instance served by gunicorn, then the check
of the database against every write the server accepted.

    python -m bench.concurrency --workers 4 --clients 16 --seconds 60 [--database-url URL]

SQLite by default (a new file in a temp folder). With --database-url (PostgreSQL), the run
uses a scratch database `<name>_bench` created on that server and dropped afterwards, so
the database named in the URL is never touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from bench.check import check_database
from bench.load import run_load
from bench.server import GunicornServer, Instance, add_load_users, migrate
from bench.tally import summary_table

LOAD_USERS = 4
LOG_TAIL = 4000  # characters of the server's log kept with the results


def postgres_url(url: str) -> URL:
    """`url` as casemgr reads DATABASE_URL (psycopg 3); ValueError unless it is PostgreSQL."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    return parsed.set(drivername="postgresql+psycopg")


@contextmanager
def scratch_postgres(server: URL) -> Iterator[str]:
    """A new, empty database beside the one `server` names; dropped at the end."""
    scratch = f"{server.database}_bench"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield server.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_instance(root: Path, server: URL | None) -> Iterator[Instance]:
    """A new instance under `root`: on a SQLite file, or on a scratch database of `server`."""
    if server is None:
        yield Instance(root / "instance", f"sqlite:///{root / 'casemgr.db'}", root / "data")
        return
    with scratch_postgres(server) as url:
        yield Instance(root / "instance", url, root / "data")


def run_bench(instance: Instance, workers: int, clients: int, seconds: float) -> dict[str, Any]:
    """Migrate, add the load users, serve, load, stop, check; the load's results with the
    check's problems under "problems"."""
    app = instance.build_app()
    migrate(app)
    tokens = add_load_users(app, LOAD_USERS)
    log = instance.folder / "gunicorn.log"
    with GunicornServer(instance, workers, log) as server:
        result = run_load(server.url, tokens, clients, seconds)
    result["problems"] = check_database(app, result)
    result["server_log"] = log.read_text(errors="replace")[-LOG_TAIL:]
    return result


def report(label: str, result: dict[str, Any]) -> bool:
    """Print the summary; True when the run found nothing wrong."""
    print(f"\n== {label} ==\n{summary_table(result)}")
    failures = result["anomalies"] + result["problems"]
    for failure in failures[:30]:
        print(f"FAIL: {failure}")
    if failures:
        print(f"-- end of the server's log --\n{result['server_log']}")
    print(
        "database check: "
        + ("all accepted writes stored, chains verified" if not failures else "FAILED")
    )
    return not failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.concurrency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", help="PostgreSQL server to run on (a scratch database)")
    parser.add_argument("--output", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    try:
        server = postgres_url(args.database_url) if args.database_url else None
    except ValueError as error:
        parser.error(str(error))
    with (
        tempfile.TemporaryDirectory(prefix="casemgr-bench-") as folder,
        fresh_instance(Path(folder), server) as instance,
    ):
        result = run_bench(instance, args.workers, args.clients, args.seconds)
    label = "SQLite" if server is None else "PostgreSQL"
    if args.output:
        args.output.write_text(json.dumps(result, indent=1))
    return 0 if report(f"{label}: {args.workers} workers", result) else 1


if __name__ == "__main__":
    sys.exit(main())
