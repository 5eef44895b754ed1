"""Generator phases for the work on the cases: assessments with the default rubric, tasks,
handoffs between analysts, and the moves through the workflow (with referrals)."""

from __future__ import annotations

import random
from datetime import timedelta

from bench.fiction import AGENCIES, RATIONALES, TASK_TITLES, seeded
from bench.generate_cases import CASE_CHUNK, load_cases, threat_ids
from bench.generate_plan import CasePlan
from bench.generate_world import Progress, World, actor_of, chunks
from casemgr.assessments.models import RubricVersion
from casemgr.assessments.operations import Answer, LevelOverride, create_assessment
from casemgr.auth.models import User
from casemgr.cases.actions import ReferralDetails, create_task, refer_case, set_task_status
from casemgr.cases.handoffs import (
    Brief,
    accept_handoff,
    cancel_handoff,
    create_handoff,
    decline_handoff,
)
from casemgr.cases.models import Case
from casemgr.cases.operations import transition_case

# The statuses a case goes through to end where its plan says, after "new".
PATHS = {
    "new": (),
    "triage": ("triage",),
    "assessment": ("triage", "assessment"),
    "active": ("triage", "assessment", "active"),
    "referred": ("triage", "assessment", "active", "referred"),
    "dormant": ("triage", "assessment", "dormant"),
    "closed": ("triage", "assessment", "active", "closed"),
}
GENERIC_RATIONALE = "Seen in the threats logged on this case."


def _answers(world: World, rng: random.Random, threats: list[int]) -> dict[str, Answer]:
    """Points for each item, mostly low, higher for a case of more concern; a rationale for
    each non-zero one, and the latest threat cited as the directly communicated one."""
    concern = rng.random() ** 2
    answers = {}
    for item in world.rubric.items.values():
        point = min(item.max_point, int(rng.random() * (item.max_point + 1) * (0.3 + concern)))
        if not point:
            continue
        cited = threats[-1:] if item.id == "directly_communicated_threat" and threats else []
        rationale = RATIONALES.get(item.id, GENERIC_RATIONALE)
        answers[item.id] = Answer(point, rationale, threat_ids=cited if rng.random() < 0.3 else [])
    return answers


def make_assessments(world: World, bar: Progress) -> None:
    """Each case's assessments, spread over its active life; a few with the level overridden.
    A chunk's cases are assessed in rounds (every case's first, then every second one...),
    each round flushed before the next reads the assessment it supersedes."""
    with_assessments = [plan for plan in world.plan.cases if plan.assessments]
    kept = None  # the stored rubric, kept loaded once the first assessment stores it
    for chunk in chunks(with_assessments, CASE_CHUNK):
        cases = load_cases(world, chunk)
        on_case = threat_ids(world, [case.id for case in cases])
        rngs = [seeded(world.plan.seed * 32_452_843 + plan.number) for plan in chunk]
        for number in range(max(plan.assessments for plan in chunk)):
            for plan, case, rng in zip(chunk, cases, rngs, strict=True):
                if number < plan.assessments:
                    _assess(world, plan, case, rng, number, on_case[case.id])
                    kept = kept or world.session.get(RubricVersion, world.rubric.sha256)
                    bar.advance()
            world.session.flush()
        world.session.commit()


def _assess(
    world: World, plan: CasePlan, case: Case, rng: random.Random, number: int, threats: list[int]
) -> None:
    world.clock.set(plan.at(0.6 + 0.3 * number / plan.assessments))
    override = None
    if rng.random() < 0.03:
        override = LevelOverride("high", "The subject was seen near the office.")
    assessor = actor_of(world.people.analysts[plan.owner])
    answers = _answers(world, rng, threats)
    create_assessment(world.session, assessor, case, world.rubric, answers, override)


def make_tasks(world: World, bar: Progress) -> None:
    """Protective actions: done or cancelled on older and closed cases, open on recent ones."""
    with_tasks = [plan for plan in world.plan.cases if plan.tasks]
    for chunk in chunks(with_tasks, CASE_CHUNK):
        for plan, case in zip(chunk, load_cases(world, chunk), strict=True):
            rng = seeded(world.plan.seed * 49_979_687 + plan.number)
            analysts = world.people.analysts
            for _ in range(plan.tasks):
                _task(world, plan, case, analysts[plan.owner], rng)
                bar.advance()
        world.session.commit()


def _task(world: World, plan: CasePlan, case: Case, owner: User, rng: random.Random) -> None:
    created = plan.at(0.2 + rng.random() * 0.2)
    world.clock.set(created)
    due = created + timedelta(days=rng.randrange(3, 30))
    actor = actor_of(owner)
    task = create_task(world.session, actor, case, rng.choice(TASK_TITLES), owner, due)
    finished = plan.status == "closed" or due < world.plan.end - timedelta(days=60)
    if finished:
        world.clock.set(min(world.plan.end, due - timedelta(days=rng.randrange(0, 3))))
        status = "done" if rng.random() < 0.85 else "cancelled"
        set_task_status(world.session, actor, case, task, status)


def make_handoffs(world: World, bar: Progress) -> None:
    """Cases offered to another analyst with a brief: mostly accepted, some declined or
    withdrawn, a few still waiting for an answer."""
    with_handoffs = [plan for plan in world.plan.cases if plan.handoff]
    for chunk in chunks(with_handoffs, CASE_CHUNK):
        for plan, case in zip(chunk, load_cases(world, chunk, Case.members), strict=True):
            _handoff(world, plan, case)
            bar.advance()
        world.session.commit()


def _handoff(world: World, plan: CasePlan, case: Case) -> None:
    analysts = world.people.analysts
    giver, receiver = analysts[plan.owner], analysts[plan.receiver]
    offered = plan.at(0.75)
    world.clock.set(offered)
    brief = Brief(
        situation="Threats continue from new accounts after each suspension.",
        concern="Moderate: no approach seen, but the group names the protectee.",
        next_steps="Watch the group's new accounts; review after the next assessment.",
    )
    handoff = create_handoff(world.session, actor_of(giver), giver, case, receiver, brief)
    world.clock.set(min(world.plan.end, offered + timedelta(hours=20)))
    if plan.handoff == "accepted":
        accept_handoff(world.session, actor_of(receiver), receiver, handoff)
        plan.owner = plan.receiver  # the rest of the case's work is theirs
    elif plan.handoff == "declined":
        reason = "On leave from next week; please offer it to someone else."
        decline_handoff(world.session, actor_of(receiver), receiver, handoff, reason)
    elif plan.handoff == "cancelled":
        cancel_handoff(world.session, actor_of(giver), giver, handoff)


def make_workflow(world: World, bar: Progress) -> None:
    """Each case moved along its path to where its plan ends; leads close and refer."""
    moving = [plan for plan in world.plan.cases if plan.status != "new"]
    for chunk in chunks(moving, CASE_CHUNK):
        for plan, case in zip(chunk, load_cases(world, chunk), strict=True):
            _move(world, plan, case)
            bar.advance()
        world.session.commit()


def _move(world: World, plan: CasePlan, case: Case) -> None:
    owner = world.people.analysts[plan.owner]
    lead = world.people.leads[plan.number % len(world.people.leads)]
    steps = PATHS[plan.status]
    for number, status in enumerate(steps):
        # Closing waits for the last assessment (at 0.9 of the case's life).
        world.clock.set(plan.at(0.95 if status == "closed" else 0.1 + 0.5 * number / len(steps)))
        if status == "referred":
            agency, unit = AGENCIES[plan.number % len(AGENCIES)]
            details = ReferralDetails(
                agency=agency,
                unit=unit,
                officer="DS Morgan Hale",
                reference=f"REF-{plan.number:06d}",
                referred_at=world.clock.moment,
            )
            refer_case(world.session, actor_of(lead), lead.role, case, details)
        elif status == "closed":
            reason = "No further threats; the subject's accounts are gone."
            transition_case(world.session, actor_of(lead), lead.role, case, status, reason)
        else:
            reason = f"Moved to {status} at the morning review."
            transition_case(world.session, actor_of(owner), owner.role, case, status, reason)
