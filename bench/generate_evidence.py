"""Generator phase for the evidence: pictures drawn and examined (stored, analysed, their
derivatives made) from the start of the run, in worker processes beside the phases before
this one, as that work needs no database; then each recorded by the case's analyst.

`casemgr.evidence.ingest.examine` is the part of `ingest` that reads and writes files only
(the image work). Recording (`checked_intake`, then `record_item`: the item, its near matches
among the images stored before it, custody, the audit event) is done here in the generator's
session, case after case, in plan order, as the workers return the pictures.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import select

from bench.fiction import seeded
from bench.generate_cases import CASE_CHUNK, load_cases, threat_ids
from bench.generate_images import ImageJob, prepare
from bench.generate_people import reference_seed
from bench.generate_plan import CasePlan
from bench.generate_world import Progress, World, actor_of, chunks
from casemgr.cases.models import Case
from casemgr.evidence.ingest import (
    Acquisition,
    Examined,
    IngestSettings,
    checked_intake,
    examine,
    record_item,
)
from casemgr.evidence.store import FileStore
from casemgr.threats.models import Threat

METHODS = ("screenshot", "platform export", "download", "photo of a printout")
PICTURES_PER_TASK = 32  # sent to a worker at a time
WORKER_NICENESS = 10
# Items written per flush: one flush each cost more than its rows, and the near-image lookup
# compares each new item with the ones not yet written one by one.
FLUSH_EVERY = 50


def _doctored(world: World, plan: CasePlan, seed: int) -> ImageJob:
    """A reference photo of the case's protectee (or any, for All staff) with crosshairs."""
    protectee = plan.protectees[0] or 1 + seed % world.plan.scale.protectees
    return ImageJob("doctored", seed, reference_seed(protectee))


def _image_job(world: World, plan: CasePlan, seed: int, rng: random.Random) -> ImageJob:
    if rng.random() < 0.05:
        return _doctored(world, plan, seed)
    if rng.random() < 0.6:
        return ImageJob("screenshot", seed, jpeg=rng.random() < 0.2)
    return ImageJob("photo", seed, jpeg=rng.random() < 0.7)


def _with_evidence(world: World) -> list[CasePlan]:
    return [plan for plan in world.plan.cases if plan.evidence]


def _pictures(world: World, plan: CasePlan, first: bool) -> tuple[list[ImageJob], random.Random]:
    """The case's pictures, and the generator that goes on to pick the threats they show."""
    rng = seeded(world.plan.seed * 104_729 + plan.number)
    seeds = [plan.number * 8 + number for number in range(plan.evidence)]
    images = [_image_job(world, plan, seed, rng) for seed in seeds]
    if first:  # as in the story, the first evidence is a doctored photo
        images[0] = _doctored(world, plan, seeds[0])
    return images, rng


def _examine_here(store: FileStore, settings: IngestSettings, job: ImageJob) -> Examined:
    """Draw the picture, stage it as an upload arrives, and examine it."""
    image = prepare(job, store.temp)
    try:
        return examine(
            store,
            image.staged,
            original_filename=image.filename,
            declared_mime=image.mime,
            settings=settings,
        )
    finally:
        # The store linked the staged file in; an upload's temp file goes when the request ends.
        image.staged.path.unlink(missing_ok=True)


_examiner: tuple[FileStore, IngestSettings] | None = None  # the worker process's own


def _start_worker(data_dir: Path, settings: IngestSettings) -> None:
    global _examiner
    # The workers yield the CPU to the process writing the database, which every other phase
    # waits for: they take the time it leaves, and both cores once it waits for them.
    os.nice(WORKER_NICENESS)
    _examiner = (FileStore(data_dir, durable=False), settings)


def _examine_in_worker(job: ImageJob) -> Examined:
    assert _examiner is not None, "started by _start_worker"
    return _examine_here(*_examiner, job)


@contextmanager
def examining(world: World) -> Iterator[None]:
    """For the block (the whole run), the evidence pictures are examined in `world.workers`
    processes, in plan order, into `world.examined`. With no workers, the evidence phase
    examines each picture itself."""
    if world.workers < 1:
        yield
        return
    plans = _with_evidence(world)
    jobs = [job for plan in plans for job in _pictures(world, plan, plan is plans[0])[0]]
    # Spawned, not forked: a worker must not share the parent's open connections.
    pool = ProcessPoolExecutor(
        world.workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(world.instance.data_dir, world.settings),
    )
    try:
        world.examined = pool.map(_examine_in_worker, jobs, chunksize=PICTURES_PER_TASK)
        yield
    finally:
        world.examined = None
        pool.shutdown(wait=True, cancel_futures=True)


def _shown(
    world: World, plan: CasePlan, first: bool, threats: list[int]
) -> list[tuple[ImageJob, int | None]]:
    """The case's pictures, half of them showing one of its threats (the post captured)."""
    images, rng = _pictures(world, plan, first)
    return [(image, _threat_shown(rng, threats)) for image in images]


def _threat_shown(rng: random.Random, threats: list[int]) -> int | None:
    return rng.choice(threats) if threats and rng.random() < 0.5 else None


def make_evidence(world: World, bar: Progress) -> None:
    """Pictures taken in by the case's analyst: stored, analysed, matched against reference
    photos and earlier evidence, custody started."""
    plans = _with_evidence(world)
    for chunk in chunks(plans, CASE_CHUNK):
        cases = load_cases(world, chunk)
        on_case = threat_ids(world, [case.id for case in cases])
        pictures = [_shown(world, plan, plan is plans[0], on_case[plan.id]) for plan in chunk]
        wanted = {threat_id for shown in pictures for _, threat_id in shown if threat_id}
        threats = world.session.scalars(select(Threat).where(Threat.id.in_(wanted)))
        by_id = {threat.id: threat for threat in threats}
        for plan, case, shown in zip(chunk, cases, pictures, strict=True):
            rng = seeded(world.plan.seed * 15_485_863 + plan.number)
            for job, threat_id in shown:
                _take_in(world, plan, case, job, by_id.get(threat_id or 0), rng)
                bar.advance()
                if bar.done % FLUSH_EVERY == 0:
                    world.session.flush()
        world.session.commit()


def _take_in(
    world: World,
    plan: CasePlan,
    case: Case,
    job: ImageJob,
    threat: Threat | None,
    rng: random.Random,
) -> None:
    if world.examined is None:
        examined = _examine_here(world.store, world.settings, job)
    else:
        examined = next(world.examined)
    acquired = plan.opened_at + plan.life * (0.3 + rng.random() * 0.2)
    world.clock.set(acquired + timedelta(hours=3))
    analyst = world.people.analysts[plan.owner]
    acquisition = Acquisition(
        description="Captured from the subject's account",
        acquired_at=acquired,
        acquired_by=analyst.display_name,
        method=rng.choice(METHODS),
    )
    values = checked_intake(acquisition, case, threat)
    threshold = world.settings.match_threshold
    record_item(
        world.session, actor_of(analyst), examined, values, threshold, case=case, threat=threat
    )
