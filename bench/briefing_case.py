"""A large case for the briefing benchmark, built through the services as an analyst would
fill it: protectees, a group with three accounts, many threats (some in Arabic with a
translation, some graded), evidence photos (JPEG, 1200 x 900, made with Pillow to look
like photos: gradients, soft shapes, lens blur and sensor noise), a few of them doctored
copies of a protectee's reference photo, an assessment, tasks and a referral."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bench.pictures import jpeg_bytes, photo, with_crosshair
from casemgr.assessments.catalogue import BUILT_IN
from casemgr.assessments.operations import Answer, create_assessment
from casemgr.assessments.rubric import load_rubric
from casemgr.audit.log import Actor
from casemgr.auth.models import User
from casemgr.cases.actions import ReferralDetails, create_task, refer_case
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case, transition_case
from casemgr.evidence.ingest import IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.operations import mark_manipulated
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.people.models import Protectee
from casemgr.people.protectees import ProtecteeDetails, all_staff, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_account, create_subject
from casemgr.threats.operations import ThreatDetails, log_threat

DOCTORED_SHARE = 10  # one image in ten is a doctored copy of a reference photo
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
PHRASES = (
    "We know where the Lumina Social offices are",
    "every account you suspend will cost you",
    "Dana Whitfield will answer for the silenced",
    "supporters of Crimson Dawn are watching the car park",
    "Tomas Reyes should not feel safe at the conference",
    "for every account you take we open three",
    "your staff badges will not protect them",
)
ARABIC = "اقتلوا كل موظفي لومينا سوشيال وإدارتها"
ARABIC_TRANSLATION = "Kill every employee of Lumina Social and its management."


def put_file(
    session: Session, actor: Actor, store: FileStore, data: bytes, name: str, **target: object
) -> EvidenceItem:
    """Ingest bytes as the upload route does: staged and hashed, then `ingest`."""
    writer = stage_stream(io.BytesIO(data), store.temp)
    try:
        return ingest(
            session,
            actor,
            store,
            writer.staged(),
            original_filename=name,
            declared_mime="image/jpeg",
            settings=IngestSettings(max_pixels=89_478_485, match_threshold=10),
            **target,
        )
    finally:
        writer.close()


def _people(session: Session, actor: Actor) -> tuple[list[int], list[int], int]:
    """Protectee ids, account ids, and the group's subject id."""
    ceo = create_protectee(
        session, actor, ProtecteeDetails(name="Dana Whitfield", title="Chief Executive Officer")
    )
    founder = create_protectee(
        session, actor, ProtecteeDetails(name="Tomas Reyes", title="Co-founder")
    )
    staff = all_staff(session, actor)
    group = create_subject(
        session, actor, SubjectDetails(name="Crimson Dawn", kind="group", aliases=["CD"])
    )
    accounts = [
        add_account(session, actor, group, AccountDetails("Chirper", f"@crimsondawn_{n}"))
        for n in range(1, 4)
    ]
    return [ceo.id, founder.id, staff.id], [a.id for a in accounts], group.id


def _threat(number: int, protectees: list[int], accounts: list[int]) -> ThreatDetails:
    rng = random.Random(number)  # noqa: S311 - reproducible data, not a secret
    arabic = number % 10 == 0
    graded = number % 3 == 0
    return ThreatDetails(
        occurred_at=START + timedelta(hours=7 * number),
        channel="public_post",
        text=ARABIC if arabic else f"{rng.choice(PHRASES)}. {rng.choice(PHRASES)}. #{number}",
        translation=ARABIC_TRANSLATION if arabic else "",
        language="ar" if arabic else "en",
        threat_type=rng.choice(("direct", "veiled", "conditional")),
        account_id=rng.choice(accounts),
        target_ids=[rng.choice(protectees)],
        grading_source="2" if graded else None,
        grading_information="B" if graded else None,
        grading_handling="P" if graded else None,
    )


def _images(
    session: Session, actor: Actor, store: FileStore, case: Case, count: int, founder_id: int
) -> None:
    references = {}
    for number in range(count):
        seed = number // DOCTORED_SHARE if number % DOCTORED_SHARE == 0 else 1000 + number
        picture = photo(seed)
        if number % DOCTORED_SHARE == 0:
            portrait = jpeg_bytes(picture)
            founder = session.get(Protectee, founder_id)
            reference = put_file(
                session, actor, store, portrait, f"portrait-{seed}.jpg", protectee=founder
            )
            references[number] = reference.id
            picture = with_crosshair(picture)
        item = put_file(session, actor, store, jpeg_bytes(picture), f"post-{number}.jpg", case=case)
        if number in references:
            note = "Crosshairs drawn on the co-founder's face."
            mark_manipulated(session, actor, item, note, references[number])


def build_case(session: Session, actor: Actor, store: FileStore, threats: int, images: int) -> Case:
    """The case, with `threats` threats and `images` evidence photos (flushed)."""
    protectees, accounts, group_id = _people(session, actor)
    lead = session.get(User, actor.user_id)
    case = create_case(
        session,
        actor,
        lead,
        CaseDetails(
            title="Crimson Dawn threats against Lumina Social",
            summary="Supporters of Crimson Dawn threaten Lumina Social's staff and leaders.",
            priority="high",
            protectee_ids=protectees,
            subject_ids=[group_id],
        ),
    )
    for number in range(threats):
        log_threat(session, actor, case, _threat(number, protectees, accounts))
    _images(session, actor, store, case, images, protectees[1])
    rubric = load_rubric(BUILT_IN / "casemgr-default.toml")
    answers = {
        "directly_communicated_threat": Answer(1, "The group names the CEO."),
        "target_specificity": Answer(2, "Names Dana Whitfield."),
    }
    create_assessment(session, actor, case, rubric, answers)
    create_task(session, actor, case, "Brief the reception desk", lead)
    for status in ("triage", "assessment"):
        transition_case(session, actor, "lead", case, status, "Benchmark case.")
    refer_case(
        session,
        actor,
        "lead",
        case,
        ReferralDetails(agency="National Counter Terrorism Police", officer="DS Priya Nair"),
    )
    session.flush()
    return case
