"""The world the access matrix walks: an open case with one of everything a route can address,
a restricted case with the same, and the principals that knock on every route.

Both cases are built through the services. The restricted one carries distinctive fictional
names so that a leak to someone outside it can be searched for in any response body. Its
outsider is a former member: they were given a task and offered a handoff before a lead took
them off the case, which is how a non-member ends up with links into a restricted case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.operations import Answer, create_assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.accounts import update_user
from casemgr.auth.models import User
from casemgr.auth.tokens import issue_token, revoke_token
from casemgr.briefings.operations import record_disclosure, store_bytes
from casemgr.briefings.snapshot import BriefingOptions, build_snapshot
from casemgr.cases.actions import create_task
from casemgr.cases.handoffs import Brief, create_handoff
from casemgr.cases.models import Case, Handoff, Task
from casemgr.cases.operations import CaseDetails, create_case, update_case
from casemgr.db import utcnow
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore
from casemgr.extensions import db
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.protectees import ProtecteeDetails, create_protectee
from casemgr.people.subjects import (
    AccountDetails,
    SubjectDetails,
    add_account,
    create_subject,
    update_subject,
)
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat
from tests.briefings.story import put_file
from tests.evidence.photos import photo, png_bytes, with_crosshair
from tests.factories import ROLES, make_user, make_world

RUBRIC = "casemgr-default"
BOOTSTRAP_FILE = "css/bootstrap.min.css"
# Who knocks: the four roles, the former member, and three credentials that must not work.
OUTSIDER, DISABLED, REVOKED, ANONYMOUS = "outsider", "disabled", "revoked", "anonymous"

# The restricted case, in words found nowhere else in the world.
SECRET_TITLE = "Harrowgate boardroom leak"
SECRET_PROTECTEE = "Ottoline Quarrington"
SECRET_SUBJECT = "Vesper Marchbanks"
SECRET_GROUP = "Ashgrove Circle"
SECRET_HANDLE = "@vespermarch_77"
SECRET_THREAT = "Thimblewick knows the vault code at Harrowgate."
SECRET_TASK = "Sweep the Quarrington residence"
SECRET_BRIEF = "Brackenridge source is nervous."
SECRET_RECIPIENT = "Inspector Corvina Haldane"
SECRET_RATIONALE = "Marchbanks quoted the vault code in a private message."
SECRET_NOTES = b"Ledger of Zarathine payments, exhibit 7.\n"


@dataclass
class MatrixWorld:
    """Sample route arguments for each case, the principals' credentials, and the canaries."""

    open: dict[str, Any]  # route argument -> value addressing the open case's objects
    hidden: dict[str, Any]  # the same for the restricted case's objects
    users: dict[str, User]  # principal -> user (roles, outsider, disabled)
    tokens: dict[str, str] = field(default_factory=dict)  # principal -> bearer token
    spare_tokens: dict[str, int] = field(default_factory=dict)  # principal -> revocable token id
    canaries: dict[str, bytes] = field(default_factory=dict)  # what -> bytes that must not show

    def samples(self, principal: str, restricted: bool = False) -> dict[str, Any]:
        """Route arguments for `principal`: their own spare token, and either case's objects."""
        chosen = self.hidden if restricted else self.open
        return chosen | {"token_id": self.spare_tokens.get(principal, 1)}


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, "192.0.2.10")


def _disclose(
    session: Session, user: User, store: FileStore, case: Case, kind: str, **options: Any
) -> int:
    """A disclosure-log entry with stand-in bytes: rendering a PDF is not what is tested."""
    chosen = BriefingOptions(marking="TLP:AMBER", author=user.label, **options)
    snapshot = build_snapshot(session, case, chosen, utcnow())
    stored = store_bytes(store, f"%PDF-1.7 stand-in {kind} for {case.title}\n".encode())
    return record_disclosure(session, _actor(user), case, chosen, snapshot, stored, kind).id


def _assess(session: Session, user: User, case: Case, rationale: str) -> int:
    rubric = load_rubric(BUILT_IN / f"{RUBRIC}.toml")
    answers = {"directly_communicated_threat": Answer(1, rationale)}
    return create_assessment(session, _actor(user), case, rubric, answers).id


def _case_samples(
    session: Session, case: Case, image: EvidenceItem, subject: Subject, protectee: Protectee
) -> dict[str, Any]:
    """One object of each kind on `case`, by the names route arguments give them."""

    def first(model: type[Threat | Task | Handoff]) -> int | None:
        return session.scalar(select(model.id).where(model.case_id == case.id).order_by(model.id))

    account = session.scalar(select(Account.id).where(Account.subject_id == subject.id))
    return {
        "ref": case.ref,
        "threat_id": first(Threat),
        "task_id": first(Task),
        "handoff_id": first(Handoff),
        "item_id": image.id,
        "evidence_id": image.id,
        "other_id": image.id,
        "subject_id": subject.id,
        "account_id": account,
        "protectee_id": protectee.id,
        "kind": "thumb",
        "rubric_id": RUBRIC,
        "filename": BOOTSTRAP_FILE,
    }


def _open_case(session: Session, users: dict[str, User], store: FileStore) -> dict[str, Any]:
    """tests.factories' world (owned by the analyst, handed to the lead), with an image, an
    assessment, a briefing open to all, and a bundle carrying private details."""
    ref = make_world(session, users, store)["ref"]
    case = session.scalar(select(Case).where(Case.ref == ref))
    analyst, lead = users["analyst"], users["lead"]
    image = put_file(
        session, _actor(analyst), store, png_bytes(photo(seed=11)), "lobby-camera.png", case=case
    )
    subject = session.scalar(
        select(Subject).join(Account).join(Threat).where(Threat.case_id == case.id)
    )
    samples = _case_samples(session, case, image, subject, case.protectees[0])
    samples["assessment_id"] = _assess(session, analyst, case, "Names the leadership.")
    samples["briefing_id"] = _disclose(session, lead, store, case, "briefing", recipient="Desk")
    samples["bundle_id"] = _disclose(
        session, lead, store, case, "bundle", recipient="Desk", include_private=True
    )
    return samples


def _secret_people(
    session: Session, actor: Actor, group: Subject
) -> tuple[Protectee, Subject, Account, Subject]:
    """A protectee, a subject with an account, and a group, known only from the restricted
    case; the subject belongs to the open case's group, which in turn is affiliated with
    the secret group (both links a member of the case could make)."""
    protectee = create_protectee(session, actor, ProtecteeDetails(name=SECRET_PROTECTEE))
    individual = SubjectDetails(name=SECRET_SUBJECT, kind="individual", affiliation_id=group.id)
    subject = create_subject(session, actor, individual)
    account = add_account(session, actor, subject, AccountDetails("Chirper", SECRET_HANDLE))
    circle = create_subject(session, actor, SubjectDetails(name=SECRET_GROUP, kind="group"))
    aliases = [alias.alias for alias in group.aliases]
    details = SubjectDetails(group.name, group.kind, group.description, aliases, circle.id)
    update_subject(session, actor, group, details)
    return protectee, subject, account, circle


def _secret_work(session: Session, actor: Actor, case: Case, account: Account) -> None:
    """A threat, and the outsider's overdue task and pending handoff from their member days."""
    threat = ThreatDetails(
        occurred_at=utcnow() - timedelta(days=3),
        channel="direct_message",
        text=SECRET_THREAT,
        threat_type="direct",
        account_id=account.id,
        target_ids=[protectee.id for protectee in case.protectees],
    )
    log_threat(session, actor, case, threat)
    outsider = session.scalar(select(User).where(User.username == OUTSIDER))
    create_task(session, actor, case, SECRET_TASK, outsider, utcnow() - timedelta(days=2))
    lead = session.get(User, actor.user_id)
    brief = Brief(SECRET_BRIEF, "High.", "Keep the source apart.")
    create_handoff(session, actor, lead, case, outsider, brief)


def _restricted_case(
    session: Session, users: dict[str, User], store: FileStore, group: Subject
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The restricted case, owned by the lead; the outsider was a member and is no more."""
    lead = users["lead"]
    actor = _actor(lead)
    protectee, subject, account, circle = _secret_people(session, actor, group)
    details = CaseDetails(
        title=SECRET_TITLE,
        restricted=True,
        protectee_ids=[protectee.id],
        subject_ids=[subject.id, circle.id],
        members=["analyst", OUTSIDER],
    )
    case = create_case(session, actor, lead, details)
    _secret_work(session, actor, case, account)
    notes = put_file(session, _actor(lead), store, SECRET_NOTES, "zarathine-ledger.txt", case=case)
    doctored = png_bytes(with_crosshair(photo(seed=11)))  # near the open case's image
    image = put_file(session, _actor(lead), store, doctored, "quarrington-crosshair.png", case=case)
    samples = _case_samples(session, case, image, subject, protectee)
    samples["assessment_id"] = _assess(session, lead, case, SECRET_RATIONALE)
    for kind in ("briefing", "bundle"):
        samples[f"{kind}_id"] = _disclose(
            session, lead, store, case, kind, recipient=SECRET_RECIPIENT
        )
    update_case(session, actor, case, _without_outsider(case), case.version)
    return samples, _canaries(case, notes, image, doctored)


def _canaries(case: Case, notes: EvidenceItem, image: EvidenceItem, doctored: bytes) -> dict:
    """What of the restricted case must never reach someone outside it."""
    middle = len(doctored) // 2
    return {
        "ref": case.ref.encode(),
        "title": SECRET_TITLE.encode(),
        "subject": SECRET_SUBJECT.encode(),
        "group": SECRET_GROUP.encode(),
        "handle": SECRET_HANDLE.encode(),
        "threat": SECRET_THREAT.encode(),
        "task": SECRET_TASK.encode(),
        "brief": SECRET_BRIEF.encode(),
        "recipient": SECRET_RECIPIENT.encode(),
        "rationale": SECRET_RATIONALE.encode(),
        "notes file": SECRET_NOTES,
        "notes hash": notes.sha256.encode(),
        "image hash": image.sha256.encode(),
        "image bytes": doctored[middle : middle + 48],
        "image name": b"quarrington-crosshair",
    }


def _without_outsider(case: Case) -> CaseDetails:
    return CaseDetails(
        title=case.title,
        restricted=True,
        protectee_ids=[protectee.id for protectee in case.protectees],
        subject_ids=[subject.id for subject in case.subjects],
        members=["analyst"],
    )


def _credentials(session: Session, world: MatrixWorld) -> None:
    """A bearer token and a spare (revocable on the web) token for every user; the disabled
    user's were issued while they were active; one more of the analyst's is revoked."""
    for name, user in world.users.items():
        world.tokens[name] = issue_token(session, SYSTEM, user, "matrix")[1]
        world.spare_tokens[name] = issue_token(session, SYSTEM, user, "spare")[0].id
    revoked, world.tokens[REVOKED] = issue_token(session, SYSTEM, world.users["analyst"], "old")
    revoke_token(session, SYSTEM, revoked)
    disabled = world.users[DISABLED]
    update_user(session, SYSTEM, disabled, role=disabled.role, active=False, display_name="")


def build_matrix_world(app: Flask, users: dict[str, User]) -> MatrixWorld:
    """Build and commit the world; users come back detached, for logging clients in."""
    with app.app_context():
        session = db.session
        store = FileStore(Path(app.config["CASEMGR_DATA_DIR"]))
        everyone = {role: session.get(User, users[role].id) for role in ROLES}
        everyone[OUTSIDER] = make_user(session, "analyst", username=OUTSIDER)
        everyone[DISABLED] = make_user(session, "analyst", username=DISABLED)
        spare = make_user(session, "analyst", username="rowan")
        open_samples = _open_case(session, everyone, store)
        group = session.get(Subject, open_samples["subject_id"])
        hidden, canaries = _restricted_case(session, everyone, store, group)
        world = MatrixWorld(
            open=open_samples | {"user_id": spare.id},
            hidden=hidden | {"user_id": spare.id},
            users=everyone,
            canaries=canaries,
        )
        _credentials(session, world)
        session.commit()
        for user in everyone.values():
            session.refresh(user)
            session.expunge(user)
    return world
