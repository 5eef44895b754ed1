"""Data for the query-count tests, made through the services, and a statement counter.

Each builder adds to what is there, so a test can count a page, add more of the same, and
count again: the count must not move.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.operations import Answer, LevelOverride, create_assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.cases.actions import ReferralDetails, create_task, refer_case
from casemgr.cases.handoffs import Brief, accept_handoff, create_handoff
from casemgr.cases.models import Case, Handoff
from casemgr.cases.operations import CaseDetails, create_case, transition_case
from casemgr.db import utcnow
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.extensions import db
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.evidence.photos import photo, png_bytes, with_crosshair

SETTINGS = IngestSettings(10_000_000, 10)
# A word every searchable thing below holds, so a search finds all of them.
WORD = "crimson"
BRIEF = Brief("Quiet week.", "Low.", "Watch the new accounts.")


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, "127.0.0.1")


def staff(session: Session, users: dict[str, User]) -> dict[str, User]:
    return {role: session.get(User, user.id) for role, user in users.items()}


@dataclass
class People:
    """The protectees and a subject's accounts the cases and threats point at."""

    protectees: list[Protectee]
    subject: Subject
    accounts: list[Account]


def add_people(session: Session, accounts: int = 4) -> People:
    actor = Actor(None, "system", "cli")
    protectees = [
        create_protectee(session, actor, ProtecteeDetails(name=name))
        for name in ("Dana Whitfield", "Adrian Kessler", "All staff")
    ]
    subject = create_subject(
        session, actor, SubjectDetails(name=f"{WORD} Dawn", kind="group", aliases=["Vanguard"])
    )
    handles = [
        add_account(session, actor, subject, AccountDetails("Chirper", f"@{WORD}{number}"))
        for number in range(accounts)
    ]
    return People(protectees, subject, handles)


def open_case(session: Session, owner: User, people: People, **details: Any) -> Case:
    """A case naming every protectee and the subject, with the lead as a member."""
    return create_case(
        session,
        actor_of(owner),
        owner,
        CaseDetails(
            title=f"Threats from {WORD} Dawn",
            protectee_ids=[p.id for p in people.protectees],
            subject_ids=[people.subject.id],
            members=["lead"],
            **details,
        ),
    )


def add_threats(
    session: Session, case: Case, people: People, count: int, author: User
) -> list[Threat]:
    """`count` graded threats from the subject's accounts, each naming two protectees."""
    accounts, now = cycle(people.accounts), utcnow()
    return [
        log_threat(
            session,
            actor_of(author),
            case,
            ThreatDetails(
                occurred_at=now - timedelta(days=number % 150, minutes=number),
                channel="public_post",
                text=f"{WORD} warning number {number}: you will pay.",
                threat_type="direct",
                account_id=next(accounts).id,
                target_ids=[p.id for p in people.protectees[:2]],
                grading_source="2",
                grading_information="B",
                grading_handling="P",
            ),
        )
        for number in range(count)
    ]


def add_file(
    session: Session, store: FileStore, case: Case, data: bytes, name: str, **target: Any
) -> EvidenceItem:
    staged = stage_stream(io.BytesIO(data), store.temp)
    return ingest(
        session,
        Actor(None, "system", "cli"),
        store,
        staged.staged(),
        original_filename=name,
        declared_mime="",
        settings=SETTINGS,
        case=case,
        **target,
    )


def add_notes(
    session: Session, store: FileStore, case: Case, threats: list[Threat]
) -> list[EvidenceItem]:
    """A text note as evidence on each threat given."""
    return [
        add_file(
            session, store, case, f"Notes on threat {threat.id}.".encode(), "n.txt", threat=threat
        )
        for threat in threats
    ]


def add_images(session: Session, store: FileStore, case: Case, count: int, seed: int) -> None:
    """`count` small pictures, every other one a doctored copy of the one before it, so the
    gallery has near matches to count."""
    for number in range(count):
        picture = photo(seed + number // 2, size=(96, 72))
        if number % 2:
            picture = with_crosshair(picture.resize((640, 480))).resize(
                (96, 72), Image.Resampling.LANCZOS
            )
        add_file(session, store, case, png_bytes(picture), f"photo{number}.png")


def add_assessments(
    session: Session,
    assessor: User,
    case: Case,
    count: int,
    grounds: tuple[list[Threat], list[EvidenceItem]] = ([], []),
) -> None:
    """`count` assessments by `assessor`, each with an answer resting on the `grounds`."""
    rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    item = next(iter(rubric.items.values()))
    threats, evidence = grounds
    answer = Answer(1, "Seen in the threats.", [t.id for t in threats], [e.id for e in evidence])
    override = LevelOverride("high", "Set for the test.")
    for _ in range(count):
        create_assessment(session, actor_of(assessor), case, rubric, {item.id: answer}, override)


def hand_off(session: Session, case: Case, team: dict[str, User]) -> Handoff:
    """A pending handoff from the case's owner (the analyst or the lead) to the other."""
    giver = team["lead"] if case.owner_id == team["lead"].id else team["analyst"]
    receiver = team["analyst"] if giver is team["lead"] else team["lead"]
    return create_handoff(session, actor_of(giver), giver, case, receiver, BRIEF)


def add_handoffs(session: Session, case: Case, team: dict[str, User], count: int) -> None:
    """`count` accepted handoffs back and forth, then one left pending."""
    for _ in range(count):
        handoff = hand_off(session, case, team)
        receiver = session.get(User, handoff.to_user_id)
        accept_handoff(session, actor_of(receiver), receiver, handoff)
    hand_off(session, case, team)


def add_tasks(session: Session, case: Case, owner: User, count: int) -> None:
    """`count` tasks for `owner`, each due yesterday."""
    due = utcnow() - timedelta(days=1)
    for number in range(count):
        create_task(session, actor_of(owner), case, f"Protective action {number}", owner, due)


def refer(session: Session, case: Case, lead: User, count: int) -> None:
    """Move the case on to `referred` and record `count` referrals."""
    for status in ("triage", "assessment"):
        transition_case(session, actor_of(lead), lead.role, case, status, "Moving on.")
    for number in range(count):
        details = ReferralDetails(agency="Counter Terrorism Policing", reference=f"CT-{number}")
        refer_case(session, actor_of(lead), lead.role, case, details)


@dataclass(frozen=True)
class Scale:
    """How much hangs off one case."""

    threats: int
    evidence: int
    assessments: int
    handoffs: int
    tasks: int
    referrals: int


def busy_case(
    session: Session, team: dict[str, User], store: FileStore, people: People, scale: Scale
) -> Case:
    """A case with threats, evidence, assessments, handoffs, tasks and referrals."""
    case = open_case(session, team["analyst"], people)
    threats = add_threats(session, case, people, scale.threats, team["lead"])
    evidence = add_notes(session, store, case, threats[: scale.evidence])
    add_assessments(session, team["analyst"], case, scale.assessments, (threats, evidence))
    add_tasks(session, case, team["analyst"], scale.tasks)
    refer(session, case, team["lead"], scale.referrals)
    add_handoffs(session, case, team, scale.handoffs)
    return case


def listed_cases(session: Session, team: dict[str, User], people: People, count: int) -> None:
    """`count` cases that every filter of the case list finds for the analyst: new, theirs,
    overdue for review, not assessed, with a pending handoff and a threat; every third one
    restricted (with the lead as a member)."""
    for number in range(count):
        case = open_case(
            session,
            team["analyst"],
            people,
            next_review_at=utcnow() - timedelta(days=1 + number % 5),
            restricted=number % 3 == 0,
        )
        add_threats(session, case, people, 1, team["lead"])
        hand_off(session, case, team)


def dashboard_work(session: Session, team: dict[str, User], people: People, count: int) -> None:
    """`count` of each thing the dashboard lists: the analyst's cases overdue for review,
    assessed with a newer threat (logged by the lead) and an overdue task; the analyst's
    cases not assessed; and the lead's cases handed to the analyst."""
    analyst, lead = team["analyst"], team["lead"]
    for number in range(count):
        overdue = utcnow() - timedelta(days=1 + number)
        case = open_case(session, analyst, people, next_review_at=overdue)
        add_assessments(session, analyst, case, 1)
        add_threats(session, case, people, 1, lead)
        add_tasks(session, case, analyst, 1)
        open_case(session, analyst, people)
        hand_off(session, open_case(session, lead, people), team)


def file_store(app: Flask) -> FileStore:
    return FileStore(Path(app.config["CASEMGR_DATA_DIR"]))
