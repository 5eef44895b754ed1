"""Generator phases for the people: users, protectees with their reference photos, and the
subjects of concern with their accounts."""

from __future__ import annotations

from datetime import timedelta

from bench.fiction import (
    DEPARTMENTS,
    PLACES,
    PLATFORMS,
    TITLES,
    account_url,
    person_name,
    seeded,
)
from bench.generate_images import ImageJob, prepare
from bench.generate_plan import AccountPlan, SubjectPlan
from bench.generate_world import Progress, Staff, World, actor_of, chunks
from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.accounts import create_user
from casemgr.auth.models import User
from casemgr.evidence.ingest import Acquisition, ingest
from casemgr.people.models import Subject
from casemgr.people.protectees import ProtecteeDetails, all_staff, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_accounts, create_subject

# Every generated user logs in with this; the data is fictional and the instance a test bed.
PASSWORD = "generated-data-password"  # noqa: S105 - fictional test-bed users
REFERENCE_SEED = 1_000_000
SUBJECT_CHUNK = 2_000


def make_users(world: World, bar: Progress) -> None:
    """An admin (made by the first-admin command), then leads, analysts and viewers."""
    scale, rng = world.plan.scale, seeded(world.plan.seed)
    world.clock.set(world.plan.start - timedelta(days=60))
    roles = {"admin": 1, "lead": scale.leads, "analyst": scale.analysts, "viewer": scale.viewers}
    made: dict[str, list[User]] = {role: [] for role in roles}
    for role, count in roles.items():
        actor = SYSTEM if role == "admin" else actor_of(made["admin"][0])
        for _ in range(count):
            name = person_name(rng)
            username = f"{name.lower().replace(' ', '.')}{bar.done + 1}"
            made[role].append(create_user(world.session, actor, username, role, PASSWORD, name))
            bar.advance()
    world.session.commit()
    world.staff = Staff(made["admin"][0], made["lead"], made["analyst"], made["viewer"])


def reference_seed(number: int) -> int:
    """The seed of the picture of protectee `number`'s reference photo."""
    return REFERENCE_SEED + number


def make_protectees(world: World, bar: Progress) -> None:
    """All staff, then the named protectees, each with a reference photo."""
    rng = seeded(world.plan.seed + 1)
    admin = world.people.admin
    actor = actor_of(world.people.leads[0])
    world.clock.set(world.plan.start - timedelta(days=30))
    world.protectees = [all_staff(world.session, actor_of(admin))]
    for _ in range(world.plan.scale.protectees):
        details = ProtecteeDetails(
            name=person_name(rng),
            title=rng.choice(TITLES),
            department=rng.choice(DEPARTMENTS),
            usual_locations=", ".join(rng.sample(PLACES, 2)),
            private_home_address=f"{rng.randrange(1, 99)} {rng.choice(PLACES)}",
            private_phone=f"+44 7700 9{rng.randrange(10_000, 99_999)}",
        )
        world.protectees.append(create_protectee(world.session, actor, details))
    for number in range(1, world.plan.scale.protectees + 1):
        image = prepare(ImageJob("reference", reference_seed(number)), world.store.temp)
        ingest(
            world.session,
            actor,
            world.store,
            image.staged,
            original_filename=f"{world.protectees[number].name} portrait.jpg",
            declared_mime=image.mime,
            settings=world.settings,
            acquisition=Acquisition(description="Official portrait", method="provided"),
            protectee=world.protectees[number],
        )
        image.staged.path.unlink(missing_ok=True)
        bar.advance()
    world.session.commit()


def make_subjects(world: World, bar: Progress) -> None:
    """Subjects (groups first, so members can name theirs) and all their accounts."""
    analysts = world.people.analysts
    groups: dict[int, Subject] = {}
    groups_pending = False  # made since the last flush
    for chunk in chunks(world.plan.subjects, SUBJECT_CHUNK):
        for subject_plan in chunk:
            actor = actor_of(analysts[subject_plan.number % len(analysts)])
            if subject_plan.kind != "group" and groups_pending:
                # A member's group is checked with `Session.get`, which reads the database.
                world.session.flush()
                groups_pending = False
            subject = _subject(world, actor, subject_plan, groups)
            if subject_plan.kind == "group":
                groups[subject_plan.number] = subject
                groups_pending = True
            bar.advance()
        world.session.commit()


def _account(account: AccountPlan) -> AccountDetails:
    platform = PLATFORMS[account.platform]
    return AccountDetails(
        platform=platform.name,
        handle=account.handle,
        url=account_url(platform, account.handle),
        status=account.status,
        first_seen=account.first_seen,
        last_seen=account.last_seen,
        suspended_at=account.suspended_at,
    )


def _subject(world: World, actor: Actor, plan: SubjectPlan, groups: dict[int, Subject]) -> Subject:
    assert plan.first_seen is not None
    world.clock.set(plan.first_seen)
    affiliation = groups[plan.affiliation].id if plan.affiliation is not None else None
    description = (
        "Group behind a campaign against the company's staff."
        if plan.kind == "group"
        else "Posts in support of a group the company suspended."
    )
    details = SubjectDetails(plan.name, plan.kind, description, plan.aliases, affiliation)
    subject = create_subject(world.session, actor, details)
    plan.id = subject.id
    # The accounts found with the subject are added with it; the clock says when.
    world.clock.set(min(world.plan.end, max(account.last_seen for account in plan.accounts)))
    add_accounts(world.session, actor, subject, [_account(account) for account in plan.accounts])
    return subject
