"""Fill a fresh instance with five years of realistic, fictional data, through the services.

    python -m bench.generate --cases 100000 --instance /tmp/casemgr-large [--seed 1]
    python -m bench.generate --cases 1000 --database-url postgresql://... --instance DIR

Every record is made by the service a user's action would call, so audit events, search
documents, custody, hash bands and matches exist exactly as they would. Per N cases: 10 N
threats (six languages, most foreign ones translated), 3 N accounts under 0.6 N subjects,
N / 2 evidence images (some doctored copies of reference photos), about 2 N assessments with
the default rubric, N tasks, N / 5 handoffs, a few dozen users and hundreds of protectees. A
simulated clock gives each record, and its audit event, the moment it was made. Users log in
with bench.generate_people.PASSWORD. It refuses a database that already has cases. Audit
events are appended in batches (`batched_events`: the same chain, written with the caller's
flushes rather than two flushes of their own). On SQLite the generator hands out row ids
itself (`RowIds`), so a service, which flushes only to learn a new row's id
(`casemgr.db.flush_for_id`), leaves its rows to one flush per chunk of calls, with foreign
keys checked at commit. The evidence pictures are drawn and examined (stored, analysed, their
derivatives made: `casemgr.evidence.ingest.examine`, which needs no database) by `--workers`
processes from the start, beside the phases before evidence, which then only records them.
Neither SQLite nor the file store is synced to disk during the run: one cut short is deleted
and generated again.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.generate_cases import make_cases, make_threats
from bench.generate_evidence import examining, make_evidence
from bench.generate_people import make_protectees, make_subjects, make_users
from bench.generate_plan import Plan, make_plan
from bench.generate_work import make_assessments, make_handoffs, make_tasks, make_workflow
from bench.generate_world import Progress, RowIds, World, fast_sqlite, foreign_keys_at_commit
from bench.server import Instance, migrate
from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import batched_events
from casemgr.cases.models import Case
from casemgr.demo.clock import SimulatedClock
from casemgr.evidence.ingest import IngestSettings
from casemgr.evidence.store import FileStore
from casemgr.extensions import db

DEFAULT_RUBRIC = BUILT_IN / "casemgr-default.toml"
# The run makes millions of objects that live to its end (the session keeps what it wrote):
# at the default thresholds the cycle collector ran every 700 allocations and went through
# them again and again (11% of a run of 5,000 cases).
GC_THRESHOLDS = (100_000, 50, 100)
Phase = Callable[[World, Progress], None]


class InstanceNotEmpty(RuntimeError):
    """The database already holds cases: generation only fills a fresh instance."""


@dataclass(frozen=True)
class PhaseTime:
    name: str
    count: int
    seconds: float


def phases(plan: Plan) -> list[tuple[str, int, Phase]]:
    """Each phase, the count its bar counts, and what it does; in the order they run."""
    scale, cases = plan.scale, plan.cases
    return [
        ("users", 1 + scale.leads + scale.analysts + scale.viewers, make_users),
        ("protectees", scale.protectees, make_protectees),
        ("subjects", len(plan.subjects), make_subjects),
        ("cases", len(cases), make_cases),
        ("threats", sum(case.threats for case in cases), make_threats),
        ("evidence", sum(case.evidence for case in cases), make_evidence),
        ("assessments", sum(case.assessments for case in cases), make_assessments),
        ("tasks", sum(case.tasks for case in cases), make_tasks),
        ("handoffs", sum(1 for case in cases if case.handoff), make_handoffs),
        ("workflow", sum(1 for case in cases if case.status != "new"), make_workflow),
    ]


def _check_empty(session: Session) -> None:
    cases = session.scalar(select(func.count()).select_from(Case))
    if cases:
        raise InstanceNotEmpty(
            f"The database already has {cases:,} cases; generate into a fresh instance."
        )


def generate(
    instance: Instance, cases: int, seed: int = 1, workers: int = 2, stream: TextIO = sys.stderr
) -> list[PhaseTime]:
    """Fill the (migrated, empty) database of `instance` with `cases` cases and all around
    them, the evidence pictures examined by `workers` processes beside the phases; the time
    each phase took. Raises InstanceNotEmpty when the database has cases."""
    app = instance.build_app()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            fast_sqlite(engine)
            foreign_keys_at_commit(engine)
        # Objects stay loaded across commits: nobody else writes meanwhile. No autoflush:
        # every service flushes what it needs before it reads (and the audit log before its
        # tail), so a service's queries need not also flush the one before it; the changes
        # that no service flushes (a workflow move, a task done) go with the next one's.
        with Session(engine, expire_on_commit=False, autoflush=False) as session:
            _check_empty(session)
            if engine.dialect.name == "postgresql":
                session.execute(text("SET synchronous_commit = off"))
            world = World(
                session=session,
                plan=make_plan(cases, seed),
                store=FileStore(instance.data_dir, durable=False),
                settings=IngestSettings(
                    app.config["CASEMGR_MAX_IMAGE_PIXELS"], app.config["CASEMGR_MATCH_THRESHOLD"]
                ),
                clock=SimulatedClock(),
                rubric=load_rubric(DEFAULT_RUBRIC),
                instance=instance,
                workers=workers,
                stream=stream,
            )
            world.store.temp.mkdir(parents=True, exist_ok=True)
            timings = _run(world)
            if engine.dialect.name == "sqlite":
                session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        if engine.dialect.name == "postgresql":
            # What autovacuum does in time on a server that has run a while: a table just
            # filled has no visibility map yet, so its index-only scans would read the heap.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return timings


def _run(world: World) -> list[PhaseTime]:
    timings = []
    sqlite = world.session.get_bind().dialect.name == "sqlite"
    world.row_ids = RowIds(world.session) if sqlite else None
    with (
        world.clock.installed(),
        world.row_ids.installed() if world.row_ids else nullcontext(),
        examining(world),
    ):
        for name, count, phase in phases(world.plan):
            bar = Progress(name, count, world.stream)
            with batched_events(world.session):
                phase(world, bar)
            timings.append(PhaseTime(name, count, bar.finish()))
    return timings


def summary(timings: list[PhaseTime], total: float) -> str:
    lines = [f"{'phase':<12} {'count':>11} {'seconds':>9} {'per second':>11}"]
    for timing in timings:
        rate = timing.count / timing.seconds if timing.seconds else 0
        lines.append(f"{timing.name:<12} {timing.count:>11,} {timing.seconds:>9.1f} {rate:>11,.0f}")
    lines.append(f"{'total':<12} {'':>11} {total:>9.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True, help="how many cases (N)")
    parser.add_argument(
        "--instance",
        type=Path,
        default=Path(tempfile.gettempdir()) / "casemgr-generated",
        help="instance folder (settings, data; the SQLite file by default)",
    )
    parser.add_argument("--database-url", help="default: sqlite:///<instance>/casemgr.db")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes examining evidence pictures, at a lower priority (default 2; 0: none)",
    )
    args = parser.parse_args(argv)
    gc.set_threshold(*GC_THRESHOLDS)
    folder = args.instance.resolve()
    url = args.database_url or f"sqlite:///{folder / 'casemgr.db'}"
    instance = Instance(folder, url, folder / "data")
    migrate(instance.build_app())
    started = time.monotonic()
    try:
        timings = generate(instance, args.cases, args.seed, args.workers)
    except InstanceNotEmpty as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 2
    print(summary(timings, time.monotonic() - started))
    print(f"instance: {folder}\ndatabase: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
