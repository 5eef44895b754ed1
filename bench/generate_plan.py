"""The plan of a generated instance: how many of everything for N cases, and what each case
goes through (its dates, people, threats, evidence, assessments, tasks, handoff and statuses).

Planned up front from one seed, in memory, so every phase of the generator works through the
cases in order and the same seed gives the same instance (on the same day).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.fiction import PLATFORMS, group_name, handle, person_name, seeded

YEARS = 5
# Per case. Threats, accounts, evidence and assessments follow the ratios (per
# 100,000 cases: 1,000,000 / 300,000 / 50,000 / 200,000); the rest is our estimate.
THREATS_PER_CASE = 10
SUBJECTS_PER_CASE = 0.6
GROUP_SHARE = 0.1
RESTRICTED_SHARE = 0.05
HAND_LOGGED_SHARE = 0.2  # cases with a threat phoned, mailed or emailed in, logged by hand
EVIDENCE_COUNTS = (0,) * 13 + (1,) * 5 + (2, 3)  # 0.5 a case
TASK_COUNTS = (0, 0, 0, 1, 1, 1, 1, 2, 2, 3)  # about 1 a case
HANDOFF_SHARE = 0.2
DOCTORED_SHARE = 0.05  # of evidence: crosshairs on a protectee's reference photo


@dataclass(frozen=True)
class Scale:
    """Head counts that grow with the number of cases."""

    cases: int

    @property
    def leads(self) -> int:
        return 2 + self.cases // 25_000

    @property
    def analysts(self) -> int:
        return 4 + self.cases // 4_000

    @property
    def viewers(self) -> int:
        return 2 + self.cases // 50_000

    @property
    def protectees(self) -> int:
        return 20 + self.cases // 400

    @property
    def subjects(self) -> int:
        return max(4, round(self.cases * SUBJECTS_PER_CASE))


@dataclass(slots=True)
class AccountPlan:
    platform: int  # index into fiction.PLATFORMS
    handle: str
    status: str
    first_seen: datetime
    last_seen: datetime
    suspended_at: datetime | None


@dataclass(slots=True)
class SubjectPlan:
    number: int
    kind: str
    name: str
    aliases: list[str]
    affiliation: int | None  # a group's number
    accounts: list[AccountPlan] = field(default_factory=list)
    first_seen: datetime | None = None
    id: int = 0


@dataclass(slots=True)
class CasePlan:
    number: int
    opened_at: datetime
    life: timedelta  # from opening to the last thing done on it
    owner: int  # index into the analysts
    protectees: list[int]  # indexes into the protectees; 0 is All staff
    subjects: list[int]
    restricted: bool
    members: list[int]  # analysts let into a restricted case
    priority: str
    status: str  # where the case ends up
    threats: int
    hand_logged: bool
    evidence: int
    assessments: int
    tasks: int
    handoff: str  # "", or how the handoff ends: accepted, declined, cancelled, pending
    receiver: int = -1
    id: int = 0

    def at(self, fraction: float) -> datetime:
        """A moment of the case's life: 0 is its opening, 1 its last action."""
        return self.opened_at + self.life * fraction


@dataclass
class Plan:
    scale: Scale
    seed: int
    end: datetime
    subjects: list[SubjectPlan]
    cases: list[CasePlan]

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=365 * YEARS)


def _status(rng: random.Random, age: timedelta) -> str:
    """Where a case of this age has got to: old ones are mostly closed or dormant."""
    days = age.days
    if days <= 14:
        weights = {"new": 50, "triage": 35, "assessment": 15}
    elif days <= 90:
        weights = {
            "triage": 20,
            "assessment": 30,
            "active": 30,
            "referred": 5,
            "closed": 10,
            "dormant": 5,
        }
    elif days <= 365:
        weights = {"assessment": 15, "active": 25, "referred": 10, "closed": 35, "dormant": 15}
    else:
        weights = {"active": 8, "referred": 7, "closed": 65, "dormant": 20}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _assessments(rng: random.Random, status: str) -> int:
    """About two a case: none for a new case, at least one for a closed one."""
    if status == "new":
        return 0
    if status == "triage":
        return rng.choice((0, 0, 1))
    least = 1 if status == "closed" else 0
    return max(least, rng.choice((0, 1, 1, 2, 2, 2, 3, 4)))


def _case_subjects(rng: random.Random, groups: int, total: int) -> list[int]:
    """One or two subjects; the groups behind campaigns come back in many cases."""
    count = rng.choice((1, 1, 2))
    chosen = [
        rng.randrange(groups) if rng.random() < 0.4 else rng.randrange(groups, total)
        for _ in range(count)
    ]
    return list(dict.fromkeys(chosen))


def _plan_case(rng: random.Random, number: int, plan: Plan, opened_at: datetime) -> CasePlan:
    scale = plan.scale
    age = plan.end - opened_at
    life = min(age, timedelta(days=3 + rng.expovariate(1 / 45)))
    status = _status(rng, age)
    restricted = rng.random() < RESTRICTED_SHARE
    owner = rng.randrange(scale.analysts)
    others = [a for a in range(scale.analysts) if a != owner]
    handoff = ""
    if rng.random() < HANDOFF_SHARE:
        handoff = rng.choices(("accepted", "declined", "cancelled", "pending"), (70, 15, 5, 10))[0]
        if handoff == "pending" and status == "closed":
            handoff = "accepted"
    receiver = rng.choice(others) if handoff else -1
    members = [owner, receiver] if restricted and handoff else [owner] if restricted else []
    protectees = [0] if rng.random() < 0.1 else [1 + rng.randrange(scale.protectees)]
    groups = max(1, round(scale.subjects * GROUP_SHARE))
    return CasePlan(
        number=number,
        opened_at=opened_at,
        life=life,
        owner=owner,
        protectees=protectees,
        subjects=_case_subjects(rng, groups, scale.subjects),
        restricted=restricted,
        members=members,
        priority=rng.choices(("low", "normal", "high", "urgent"), (20, 55, 20, 5))[0],
        status=status,
        threats=min(80, 1 + round(rng.expovariate(1 / (THREATS_PER_CASE - 1)))),
        hand_logged=rng.random() < HAND_LOGGED_SHARE,
        evidence=rng.choice(EVIDENCE_COUNTS),
        assessments=_assessments(rng, status),
        tasks=rng.choice(TASK_COUNTS),
        handoff=handoff,
        receiver=receiver,
    )


def _plan_accounts(rng: random.Random, subject: SubjectPlan, end: datetime, number: int) -> int:
    """The subject's accounts, first seen from shortly before the subject was; the number of
    the last handle made."""
    count = rng.randint(8, 20) if subject.kind == "group" else rng.randint(1, 7)
    start = (subject.first_seen or end) - timedelta(days=90)
    span = max(0.0, (end - start).total_seconds() - 86_400)
    for _ in range(count):
        first = start + timedelta(seconds=rng.random() * span)
        last = min(end, first + timedelta(days=rng.expovariate(1 / 120)))
        status = rng.choices(("active", "suspended", "deleted"), (60, 30, 10))[0]
        number += 1
        subject.accounts.append(
            AccountPlan(
                platform=rng.randrange(len(PLATFORMS)),
                handle=handle(rng, number),
                status=status,
                first_seen=first,
                last_seen=last,
                suspended_at=last if status == "suspended" else None,
            )
        )
    return number


def _plan_subjects(rng: random.Random, scale: Scale) -> list[SubjectPlan]:
    groups = max(1, round(scale.subjects * GROUP_SHARE))
    subjects = []
    for number in range(scale.subjects):
        kind = "group" if number < groups else "individual"
        name = group_name(rng) if kind == "group" else person_name(rng)
        aliases = [f"{name.split()[0]} {rng.randrange(1, 99)}"] if rng.random() < 0.3 else []
        affiliation = rng.randrange(groups) if kind == "individual" and rng.random() < 0.3 else None
        subjects.append(SubjectPlan(number, kind, name, aliases, affiliation))
    return subjects


def make_plan(cases: int, seed: int, end: datetime | None = None) -> Plan:
    """The whole instance for `cases` cases over five years up to `end` (today, by default)."""
    rng = seeded(seed)
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    scale = Scale(cases)
    plan = Plan(scale, seed, end, _plan_subjects(rng, scale), [])
    span = (end - plan.start).total_seconds()
    # More cases in recent years, as the service grew: opening times thicken towards the end.
    moments = sorted(
        plan.start + timedelta(seconds=span * rng.random() ** 0.7) for _ in range(cases)
    )
    plan.cases = [_plan_case(rng, number, plan, moment) for number, moment in enumerate(moments)]
    for case in plan.cases:
        for number in case.subjects:
            subject = plan.subjects[number]
            seen = case.opened_at - timedelta(days=1)
            subject.first_seen = min(subject.first_seen or seen, seen)
    handles = 0
    for subject in plan.subjects:
        # Subjects no case names were noted somewhere in the five years.
        subject.first_seen = subject.first_seen or plan.start + timedelta(
            seconds=span * rng.random()
        )
        handles = _plan_accounts(rng, subject, end, handles)
    return plan
