"""Generator phase for the evidence: pictures drawn, staged and ingested by the case's analyst,
in worker processes that share the database.

Ingesting is mostly image work (hashes, thumbnails, error-level analysis) done before the
item's first write, so several processes ingest at once and only take turns for the writes:
each item is its own transaction, as it would be from the upload form.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.fiction import seeded
from bench.generate_cases import CASE_CHUNK, threat_ids
from bench.generate_images import ImageJob, prepare
from bench.generate_plan import CasePlan
from bench.generate_world import Progress, World, actor_of, chunks, fast_sqlite
from bench.server import Instance
from casemgr.audit.log import Actor, batched_events
from casemgr.cases.models import Case
from casemgr.demo.clock import SimulatedClock
from casemgr.evidence.ingest import Acquisition, IngestSettings, ingest
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.threats.models import Threat

METHODS = ("screenshot", "platform export", "download", "photo of a printout")
# Fewer items are ingested faster than worker processes start.
WORKERS_FROM = 500
BATCH = 16  # cases a worker takes at a time: their cases and threats in two queries


@dataclass(frozen=True)
class EvidenceJob:
    """One case's pictures, the threat each shows (if any), and who collected them when."""

    case_id: int
    seed: int
    opened_at: datetime
    life: timedelta
    analyst: Actor
    analyst_name: str
    images: tuple[ImageJob, ...]
    shown: tuple[int | None, ...]  # a threat id per picture


@dataclass
class Writer:
    """What a process needs to ingest: its own session on the instance, store and clock."""

    session: Session
    store: FileStore
    settings: IngestSettings
    clock: SimulatedClock


def _doctored(world: World, plan: CasePlan, seed: int) -> ImageJob:
    """A reference photo of the case's protectee (or any, for All staff) with crosshairs."""
    protectee = plan.protectees[0] or 1 + seed % world.plan.scale.protectees
    return ImageJob("doctored", seed, world.reference_seeds[protectee])


def _image_job(world: World, plan: CasePlan, seed: int, rng: random.Random) -> ImageJob:
    if rng.random() < 0.05:
        return _doctored(world, plan, seed)
    if rng.random() < 0.6:
        return ImageJob("screenshot", seed, jpeg=rng.random() < 0.2)
    return ImageJob("photo", seed, jpeg=rng.random() < 0.7)


def evidence_jobs(world: World) -> list[EvidenceJob]:
    jobs: list[EvidenceJob] = []
    with_evidence = [plan for plan in world.plan.cases if plan.evidence]
    for chunk in chunks(with_evidence, CASE_CHUNK):
        on_case = threat_ids(world, [plan.id for plan in chunk])
        jobs += [_job(world, plan, on_case[plan.id], plan is with_evidence[0]) for plan in chunk]
    return jobs


def _job(world: World, plan: CasePlan, threats: list[int], first: bool) -> EvidenceJob:
    rng = seeded(world.plan.seed * 104_729 + plan.number)
    seeds = [plan.number * 8 + number for number in range(plan.evidence)]
    images = [_image_job(world, plan, seed, rng) for seed in seeds]
    if first:  # as in the story, the first evidence is a doctored photo
        images[0] = _doctored(world, plan, seeds[0])
    # Half the items show one of the case's threats (the post captured).
    shown = [rng.choice(threats) if threats and rng.random() < 0.5 else None for _ in seeds]
    analyst = world.people.analysts[plan.owner]
    return EvidenceJob(
        case_id=plan.id,
        seed=world.plan.seed * 15_485_863 + plan.number,
        opened_at=plan.opened_at,
        life=plan.life,
        analyst=actor_of(analyst),
        analyst_name=analyst.display_name,
        images=tuple(images),
        shown=tuple(shown),
    )


def ingest_cases(writer: Writer, jobs: Sequence[EvidenceJob]) -> int:
    """Ingest the cases' pictures, each in its own transaction; how many."""
    session = writer.session
    cases = session.scalars(select(Case).where(Case.id.in_([job.case_id for job in jobs])))
    by_id = {case.id: case for case in cases}
    shown = {threat_id for job in jobs for threat_id in job.shown if threat_id}
    threats = {t.id: t for t in session.scalars(select(Threat).where(Threat.id.in_(shown)))}
    with batched_events(session):  # each item's event is written by its commit
        for job in jobs:
            rng = seeded(job.seed)
            for image_job, threat_id in zip(job.images, job.shown, strict=True):
                case, threat = by_id[job.case_id], threats.get(threat_id or 0)
                _ingest(writer, job, case, threat, image_job, rng)
    return sum(len(job.images) for job in jobs)


def _ingest(
    writer: Writer,
    job: EvidenceJob,
    case: Case,
    threat: Threat | None,
    image_job: ImageJob,
    rng: random.Random,
) -> None:
    image = prepare(image_job, writer.store.temp)
    acquired = job.opened_at + job.life * (0.3 + rng.random() * 0.2)
    writer.clock.set(acquired + timedelta(hours=3))
    ingest(
        writer.session,
        job.analyst,
        writer.store,
        image.staged,
        original_filename=image.filename,
        declared_mime=image.mime,
        settings=writer.settings,
        acquisition=Acquisition(
            description="Captured from the subject's account",
            acquired_at=acquired,
            acquired_by=job.analyst_name,
            method=rng.choice(METHODS),
        ),
        case=case,
        threat=threat,
    )
    writer.session.commit()
    # The store linked the staged file in; an upload's temp file goes when the request ends.
    image.staged.path.unlink(missing_ok=True)


_writer: Writer | None = None  # the worker process's own


def _start_worker(instance: Instance, settings: IngestSettings) -> None:
    global _writer
    app = instance.build_app()
    app.app_context().push()  # for the life of the worker process
    if db.engine.dialect.name == "sqlite":
        fast_sqlite(db.engine)
    clock = SimulatedClock()
    clock.install()
    session = Session(db.engine, expire_on_commit=False, autoflush=False)
    _writer = Writer(session, FileStore(instance.data_dir, durable=False), settings, clock)


def _work(jobs: Sequence[EvidenceJob]) -> int:
    assert _writer is not None, "started by _start_worker"
    return ingest_cases(_writer, jobs)


def make_evidence(world: World, bar: Progress) -> None:
    """Pictures ingested by the case's analyst: stored, analysed, matched against reference
    photos and earlier evidence, custody started. In `world.workers` processes when there
    are enough to pay for starting them."""
    jobs = evidence_jobs(world)
    if world.workers < 2 or sum(len(job.images) for job in jobs) < WORKERS_FROM:
        writer = Writer(world.session, world.store, world.settings, world.clock)
        for batch in chunks(jobs, BATCH):
            bar.advance(ingest_cases(writer, batch))
        return
    world.session.commit()
    # Spawned, not forked: a worker must not share the parent's open connections.
    with ProcessPoolExecutor(
        world.workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(world.instance, world.settings),
    ) as pool:
        for count in pool.map(_work, chunks(jobs, BATCH)):
            bar.advance(count)
    world.session.expire_all()  # the workers moved the cases on (their versions, for one)
