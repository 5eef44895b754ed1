"""`make bench`: every benchmark, on SQLite and (given a server) on PostgreSQL, each figure
beside its baseline from the same run; prints the tables and writes bench/results.json.

    python -m bench.run [--cases 100000] [--database-url postgresql://...] [--quick]

The large instance is generated once per size and database and kept (SQLite under
bench/.large/, PostgreSQL in a database `<name>_large_<cases>` on the server given), because
generating 100,000 cases takes minutes; delete it to start afresh. `--quick` is a smoke run
at a small size that checks the whole chain works, not the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import briefing, fts, hash_lookup, ingest, pages
from bench.concurrency import fresh_instance, postgres_url, report, run_bench
from bench.scratch import sqlalchemy_url
from bench.server import Instance

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results.json"
Generator = subprocess.Popen[bytes]


def _has_cases(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT count(*) FROM cases")).scalar())
    except Exception:  # no database or no schema yet: not generated
        return False
    finally:
        engine.dispose()


def _postgres_database(server_url: str, name: str) -> str:
    """The URL of database `name` on the server, created when missing."""
    server = make_url(sqlalchemy_url(server_url))
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def start_generating(cases: int, server_url: str | None) -> tuple[Instance, Generator | None]:
    """The large instance of `cases` cases on SQLite or on the server, and the generator
    started to fill it when it has no cases yet (None when it has)."""
    kind = "postgresql" if server_url else "sqlite"
    folder = BENCH / ".large" / f"{kind}-{cases}"
    folder.mkdir(parents=True, exist_ok=True)
    if server_url:
        base = make_url(sqlalchemy_url(server_url)).database or "casemgr"
        url = _postgres_database(server_url, f"{base}_large_{cases}")
    else:
        url = f"sqlite:///{folder / 'casemgr.db'}"
    instance = Instance(folder, url, folder / "data")
    if _has_cases(url):
        return instance, None
    command = [sys.executable, "-m", "bench.generate", "--cases", str(cases)]
    command += ["--instance", str(folder), "--database-url", url]
    return instance, subprocess.Popen(command)  # noqa: S603 - our own generator


def generated(instance: Instance, generator: Generator | None) -> Instance:
    """The instance, once its generator (if any) has finished; raises if it failed."""
    if generator is not None and generator.wait() != 0:
        raise subprocess.CalledProcessError(generator.returncode, generator.args)
    return instance


def _timed(label: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"\n== {label}", flush=True)
    started = time.monotonic()
    figures = call()
    figures["bench_seconds"] = round(time.monotonic() - started, 1)
    return figures


def run_database(server_url: str | None, large: Instance, quick: bool) -> dict[str, Any]:
    """Every benchmark on one database, with its large instance: SQLite when `server_url` is
    None."""
    results = {
        "pages": _timed(
            "pages", lambda: pages.run(large, seconds=3 if quick else pages.THROUGHPUT_SECONDS)
        ),
        "fts": _timed("full-text search", lambda: fts.run_on_instance(large.database_url)),
        "hash_lookup": _timed(
            "hash lookup",
            lambda: hash_lookup.run((500, 1000) if quick else hash_lookup.SIZES, server_url),
        ),
        "ingest": _timed("ingest", lambda: ingest.run(16 if quick else ingest.SIZE_MB, server_url)),
        "briefing": _timed(
            "briefing",
            lambda: briefing.run(
                *((5, 2) if quick else (briefing.THREATS, briefing.IMAGES)), database_url=server_url
            ),
        ),
    }
    pages.print_table(results["pages"])
    fts.print_figures(results["fts"])
    hash_lookup.print_figures(results["hash_lookup"])
    ingest.print_figures(results["ingest"])
    briefing.print_figures(results["briefing"])
    results["concurrency"] = _timed("concurrency load", lambda: _load(server_url, quick))
    return results


def _load(server_url: str | None, quick: bool) -> dict[str, Any]:
    """The concurrency load's long form (bench/concurrency.py) on a new instance."""
    server = postgres_url(server_url) if server_url else None
    with (
        tempfile.TemporaryDirectory(dir=BENCH / ".large") as root,
        fresh_instance(Path(root), server) as instance,
    ):
        result = run_bench(instance, 4, 16, 10 if quick else 60)
    sound = report("concurrency load", result)
    result["targets"] = {"no 5xx, every accepted write stored, chains verified": sound}
    return result


def missed(results: dict[str, Any]) -> list[str]:
    """Every target not met, as `database / benchmark / target`."""
    return [
        f"{database} / {name} / {target}"
        for database, benchmarks in results.items()
        for name, figures in benchmarks.items()
        for target, met in figures.get("targets", {}).items()
        if not met
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    parser.add_argument("--quick", action="store_true", help="a smoke run at a small size")
    args = parser.parse_args(argv)
    cases = 200 if args.quick else args.cases
    # Both large instances are generated side by side (each generator keeps about one core
    # busy), so a first run takes about as long as the slower one rather than both.
    on_server = start_generating(cases, args.database_url) if args.database_url else None
    on_sqlite = generated(*start_generating(cases, None))
    results: dict[str, Any] = {"sqlite": run_database(None, on_sqlite, args.quick)}
    if on_server:
        results["postgresql"] = run_database(args.database_url, generated(*on_server), args.quick)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "cases": cases,
        "results": results,
        "missed": missed(results),
    }
    RESULTS.write_text(json.dumps(report, indent=1, default=str))
    print(f"\nresults in {RESULTS}; targets missed: {len(report['missed'])}")
    for line in report["missed"]:
        print(f"  MISSED {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
