"""Generator phases for the cases: opening them, and their threats (imported from monitoring
feeds, and some logged by hand)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bench.fiction import PLATFORMS, account_url, seeded, threat_text, wording
from bench.generate_plan import CasePlan
from bench.generate_world import Progress, World, actor_of, chunks
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case
from casemgr.threats.feeds import import_threats
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat

CASE_CHUNK = 1_000
HAND_CHANNELS = ("email", "phone", "letter", "direct_message")
GRADINGS = ("", "", "3C", "2B", "2C", "3D", "1B", "2BP", "3CP", "2A")


def load_cases(world: World, plans: Sequence[CasePlan], *related: Any) -> list[Case]:
    """The chunk's cases in plan order, in one query (with the relationships asked for)."""
    ids = [plan.id for plan in plans]
    statement = select(Case).where(Case.id.in_(ids)).options(*(selectinload(r) for r in related))
    by_id = {case.id: case for case in world.session.scalars(statement)}
    return [by_id[case_id] for case_id in ids]


def threat_ids(world: World, case_ids: Sequence[int]) -> dict[int, list[int]]:
    """The ids of the threats on each case, in one query."""
    found: dict[int, list[int]] = {case_id: [] for case_id in case_ids}
    rows = world.session.execute(
        select(Threat.case_id, Threat.id).where(Threat.case_id.in_(list(found))).order_by(Threat.id)
    )
    for case_id, threat_id in rows:
        found[case_id].append(threat_id)
    return found


def _target(world: World, plan: CasePlan) -> str:
    return world.protectees[plan.protectees[0]].name if plan.protectees[0] else "your staff"


def make_cases(world: World, bar: Progress) -> None:
    staff = world.people
    for chunk in chunks(world.plan.cases, CASE_CHUNK):
        for plan in chunk:
            world.clock.set(plan.opened_at)
            owner = staff.analysts[plan.owner]
            subjects = [world.plan.subjects[number] for number in plan.subjects]
            target = _target(world, plan)
            open_case = plan.status != "closed"
            details = CaseDetails(
                title=f"{subjects[0].name}: threats against {target}",
                summary=f"{subjects[0].name} and supporters threaten {target} after the "
                "suspension of their accounts.",
                priority=plan.priority,
                restricted=plan.restricted,
                next_review_at=plan.at(1) + timedelta(days=30) if open_case else None,
                protectee_ids=[world.protectees[number].id for number in plan.protectees],
                subject_ids=[subject.id for subject in subjects],
                members=[staff.analysts[number].username for number in plan.members],
            )
            case = create_case(world.session, actor_of(owner), owner, details)
            plan.id = case.id
            bar.advance()
        world.session.commit()


def _feed_rows(world: World, plan: CasePlan, rng: random.Random) -> list[tuple[int, dict]]:
    """The case's threats as rows of a monitoring feed, from its subjects' accounts."""
    imported_at = plan.at(0.4)
    first = plan.opened_at - timedelta(days=14)
    span = max((imported_at - first).total_seconds() - 60, 1)
    target = _target(world, plan)
    rows = []
    for line in range(plan.threats - plan.hand_logged):
        subject = world.plan.subjects[rng.choice(plan.subjects)]
        account = rng.choice(subject.accounts)
        platform = PLATFORMS[account.platform]
        chosen = wording(rng)
        text, translation = threat_text(rng, chosen, target)
        occurred = first + timedelta(seconds=rng.random() * span)
        row = {
            "occurred_at": occurred.isoformat(),
            "platform": platform.name,
            "handle": account.handle,
            "account_url": account_url(platform, account.handle),
            "text": text,
            "language": chosen.language,
            "translation": translation,
            "post_url": f"{account_url(platform, account.handle)}/posts/{rng.randrange(10**9)}",
            "grading": rng.choice(GRADINGS),
            "subject": subject.name,
            "channel": "direct_message" if rng.random() < 0.15 else "public_post",
            "threat_type": chosen.threat_type,
        }
        rows.append((line + 2, row))  # line 1 is a CSV file's header
    return rows


def _hand_logged(world: World, plan: CasePlan, case: Case, rng: random.Random) -> None:
    """A threat phoned, mailed or sent in, logged by the analyst with its targets."""
    occurred = plan.at(rng.random() * 0.35)
    world.clock.set(occurred + timedelta(hours=2))
    chosen = wording(rng)
    text, translation = threat_text(rng, chosen, _target(world, plan))
    details = ThreatDetails(
        occurred_at=occurred,
        channel=rng.choice(HAND_CHANNELS),
        text=text,
        threat_type=chosen.threat_type,
        reported_at=occurred + timedelta(hours=1),
        reported_by="Executive assistant",
        translation=translation,
        language=chosen.language,
        target_ids=[world.protectees[number].id for number in plan.protectees],
        grading_source="2",
        grading_information="B",
    )
    log_threat(world.session, actor_of(world.people.analysts[plan.owner]), case, details)


def make_threats(world: World, bar: Progress) -> None:
    """Each case's feed imported in one go (the bulk path), after its hand-logged threat.
    A chunk's hand-logged threats are given their ids (on SQLite) and written in one flush
    before the feeds' rows, which the database numbers."""
    for chunk in chunks(world.plan.cases, CASE_CHUNK):
        cases = load_cases(world, chunk, Case.subjects)
        rngs = [seeded(world.plan.seed * 7919 + plan.number) for plan in chunk]
        with world.row_ids.also(Threat) if world.row_ids else nullcontext():
            for plan, case, rng in zip(chunk, cases, rngs, strict=True):
                if plan.hand_logged:
                    _hand_logged(world, plan, case, rng)
        world.session.flush()
        for plan, case, rng in zip(chunk, cases, rngs, strict=True):
            world.clock.set(plan.at(0.4))
            actor = actor_of(world.people.analysts[plan.owner])
            import_threats(world.session, actor, case, iter(_feed_rows(world, plan, rng)))
            bar.advance(plan.threats)
        world.session.commit()
