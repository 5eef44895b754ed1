"""The design's canonical story, loaded through the services with months of history.

Lumina Social (a fictional social network) suspends the accounts of a violent group, Crimson
Dawn. Its supporters call for the staff to be killed (in Arabic), threaten the CEO by name,
and post a doctored photo of the co-founder with crosshairs on his face, taken from a
published portrait. The lead opens a case, hands it to an analyst who accepts it, the case is
assessed twice, referred to a counter-terrorism unit and briefed; an older case is closed, and
a new one waits for its handoff to be accepted. Every record carries the date it was made.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgr.assessments.operations import Answer, LevelOverride, create_assessment
from casemgr.assessments.rubric import Rubric
from casemgr.audit.log import SYSTEM, Actor
from casemgr.auth.accounts import create_user
from casemgr.auth.models import User
from casemgr.briefings.operations import export_briefing
from casemgr.briefings.settings import ExportSettings
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.actions import ReferralDetails, create_task, refer_case, set_task_status
from casemgr.cases.handoffs import Brief, accept_handoff, create_handoff
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case, transition_case, update_case
from casemgr.demo.clock import SimulatedClock
from casemgr.demo.pictures import doctored, jpeg, portrait
from casemgr.errors import Conflict
from casemgr.evidence.ingest import Acquisition, IngestSettings, ingest
from casemgr.evidence.models import EvidenceItem
from casemgr.evidence.store import FileStore, stage_stream
from casemgr.people.models import Account, Protectee, Subject
from casemgr.people.protectees import ProtecteeDetails, all_staff, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_accounts, create_subject
from casemgr.threats.models import Threat
from casemgr.threats.operations import ThreatDetails, log_threat

LEAD, ANALYST = "mira.okafor", "jonah.brandt"
UNIT = "National Counter Terrorism Police, Online Threats Unit"
ARABIC_CALL = "اقتلوا كل موظفي لومينا سوشيال وإدارتها. لن ننسى ما فعلوه بحساباتنا."
ARABIC_TRANSLATION = (
    "Kill all the employees of Lumina Social and its management. We will not forget what "
    "they did to our accounts."
)
PORTRAIT_SEED, PORTRAIT_SIDE = 4_051, 480


class DemoRefused(Conflict):
    title = "Demo not loaded"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str


@dataclass
class Demo:
    """What the story needs as it goes: the services' session and settings, the clock, and
    the people and records made so far."""

    session: Session
    store: FileStore
    ingest_settings: IngestSettings
    export_settings: ExportSettings
    rubric: Rubric
    clock: SimulatedClock
    today: datetime
    lead: User | None = None
    analyst: User | None = None

    def moment(self, days_ago: float, hour: int = 10) -> datetime:
        """`days_ago` days before today, at `hour` o'clock UTC."""
        return self.today - timedelta(days=days_ago) + timedelta(hours=hour)

    def at(self, days_ago: float, hour: int = 10) -> datetime:
        """The clock set to `moment(days_ago, hour)`: what is done next happens then."""
        self.clock.set(self.moment(days_ago, hour))
        return self.clock.moment

    def actor(self, user: User | None) -> Actor:
        assert user is not None, "the users are made first"
        return Actor(user.id, user.username, "10.20.0.15")


def load_demo(
    session: Session,
    store: FileStore,
    ingest_settings: IngestSettings,
    export_settings: ExportSettings,
    rubric: Rubric,
    password: str | None = None,
) -> list[DemoUser]:
    """Load the story into an instance that has no cases yet (flushes, never commits); the
    two users made, with their passwords (`password`, else a random one each). Raises
    DemoRefused when the database already has cases."""
    if session.scalar(select(func.count()).select_from(Case)):
        raise DemoRefused("The database already has cases: load the demo into a fresh instance.")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = SimulatedClock()
    demo = Demo(session, store, ingest_settings, export_settings, rubric, clock, today)
    with clock.installed():
        users = _users(demo, password)
        for chapter in STORY:
            chapter(demo)
    clock.set(datetime.now(UTC))
    return users


def _users(demo: Demo, password: str | None) -> list[DemoUser]:
    demo.at(200)
    made = []
    for username, role, name in (
        (LEAD, "lead", "Mira Okafor"),
        (ANALYST, "analyst", "Jonah Brandt"),
    ):
        secret = password or secrets.token_urlsafe(12)
        user = create_user(demo.session, SYSTEM, username, role, secret, name)
        made.append(DemoUser(username, role, secret))
        if role == "lead":
            demo.lead = user
        else:
            demo.analyst = user
    return made


def _upload(demo: Demo, data: bytes, filename: str, **where: object) -> EvidenceItem:
    """An image taken in as an upload is: staged in the store's temp folder, then ingested."""
    demo.store.temp.mkdir(parents=True, exist_ok=True)
    writer = stage_stream(io.BytesIO(data), demo.store.temp)
    try:
        return ingest(
            demo.session,
            where.pop("actor"),  # type: ignore[arg-type]
            demo.store,
            writer.staged(),
            original_filename=filename,
            declared_mime="image/jpeg",
            settings=demo.ingest_settings,
            **where,  # type: ignore[arg-type]
        )
    finally:
        writer.close()
        writer.path.unlink(missing_ok=True)


def _people(demo: Demo) -> None:
    """The protectees, with the co-founder's published portrait as his reference photo, and
    the group with the accounts it keeps reopening."""
    demo.at(180)
    lead = demo.actor(demo.lead)
    all_staff(demo.session, lead)
    create_protectee(
        demo.session,
        lead,
        ProtecteeDetails(
            name="Dana Whitfield",
            title="Chief Executive Officer",
            department="Executive",
            usual_locations="Harbour House (head office), Canal Street",
            private_home_address="14 Larch Crescent, Kingsmere",
            private_phone="+44 7700 900417",
        ),
    )
    founder = create_protectee(
        demo.session,
        lead,
        ProtecteeDetails(
            name="Tomas Reyes",
            title="Co-founder",
            department="Executive",
            usual_locations="Harbour House, conference circuit",
            private_home_address="3 Mill Lane, Ashby Vale",
            notes="Speaks at two industry events a quarter; his schedule is public.",
        ),
    )
    _upload(
        demo,
        jpeg(portrait(PORTRAIT_SEED, PORTRAIT_SIDE), quality=92),
        "tomas-reyes-portrait-techfront.jpg",
        actor=lead,
        protectee=founder,
        acquisition=Acquisition(
            description="Portrait by Ilse Marchetti, published in Techfront Weekly",
            acquired_by="Mira Okafor",
            method="provided",
        ),
    )
    group = create_subject(
        demo.session,
        lead,
        SubjectDetails(
            name="Crimson Dawn",
            kind="group",
            description="Violent group whose accounts the platform suspended for incitement.",
            aliases=["CD", "Dawn Front"],
        ),
    )
    first = demo.today - timedelta(days=190)
    add_accounts(
        demo.session,
        lead,
        group,
        [
            _account("@crimsondawn", first, demo.today - timedelta(days=150), "suspended"),
            _account("@crimsondawn_2", first + timedelta(days=41), demo.today - timedelta(days=70)),
            _account("@crimsondawn_3", demo.today - timedelta(days=68), None),
        ],
    )
    follower = create_subject(
        demo.session,
        lead,
        SubjectDetails(
            name="Kestrel Vance",
            kind="individual",
            description="Posts in support of Crimson Dawn; shared the doctored photo.",
            affiliation_id=group.id,
        ),
    )
    add_accounts(
        demo.session,
        lead,
        follower,
        [_account("@k_vance_88", demo.today - timedelta(days=120), None)],
    )


def _account(
    handle: str, first: datetime, suspended: datetime | None, status: str = ""
) -> AccountDetails:
    status = status or ("suspended" if suspended else "active")
    return AccountDetails(
        platform="Chirper",
        handle=handle,
        url=f"https://chirper.example/{handle.lstrip('@')}",
        status=status,
        first_seen=first,
        last_seen=suspended,
        suspended_at=suspended,
    )


def _one(demo: Demo, model: type, name: str) -> Any:
    return demo.session.scalar(select(model).where(model.name == name))


def _account_id(demo: Demo, handle: str) -> int:
    return demo.session.scalar(select(Account.id).where(Account.handle == handle))


def _threat(demo: Demo, case: Case, user: User | None, days_ago: float, **fields: Any) -> Threat:
    """A threat that occurred `days_ago` days back, logged two hours later."""
    occurred = demo.at(days_ago, fields.pop("hour", 9))
    demo.at(days_ago, occurred.hour + 2)
    handle = fields.pop("handle", None)
    if handle:
        fields |= {"platform": "Chirper", "account_id": _account_id(demo, handle)}
    details = ThreatDetails(occurred_at=occurred, **fields)
    return log_threat(demo.session, demo.actor(user), case, details)


def _move(demo: Demo, case: Case, user: User | None, days_ago: float, *statuses: str) -> None:
    assert user is not None, "the users are made first"
    for hour, status in enumerate(statuses, start=11):
        demo.at(days_ago, hour)
        reason = f"Moved to {status} at the morning review."
        transition_case(demo.session, demo.actor(user), user.role, case, status, reason)


def _assess(
    demo: Demo,
    case: Case,
    user: User | None,
    points: dict[str, tuple[int, str]],
    override: LevelOverride | None = None,
) -> None:
    answers = {item: Answer(point, rationale) for item, (point, rationale) in points.items()}
    create_assessment(demo.session, demo.actor(user), case, demo.rubric, answers, override)


def _old_case(demo: Demo) -> None:
    """A letter left at reception last spring: assessed as low concern and closed."""
    ceo = _one(demo, Protectee, "Dana Whitfield")
    demo.at(160)
    case = create_case(
        demo.session,
        demo.actor(demo.lead),
        demo.lead,
        CaseDetails(
            title="Letter left at Harbour House reception naming Dana Whitfield",
            summary="An unsigned letter complaining about a closed account, naming the CEO.",
            protectee_ids=[ceo.id],
        ),
    )
    _threat(
        demo,
        case,
        demo.lead,
        161,
        channel="letter",
        text="Dana Whitfield closed my account without reason. She should answer for it.",
        threat_type="concerning",
        reported_by="Reception, Harbour House",
        target_ids=[ceo.id],
        grading_source="2",
        grading_information="C",
    )
    _move(demo, case, demo.lead, 159, "triage", "assessment")
    demo.at(158)
    _assess(
        demo,
        case,
        demo.lead,
        {
            "target_specificity": (2, "The CEO is named."),
            "fixation": (1, "A grievance about one closed account."),
        },
    )
    _move(demo, case, demo.lead, 140, "active", "closed")


def _main_case(demo: Demo) -> None:
    """The campaign: opened when the CEO is named, worked for months, referred and briefed."""
    staff, ceo = _one(demo, Protectee, "All staff"), _one(demo, Protectee, "Dana Whitfield")
    founder = _one(demo, Protectee, "Tomas Reyes")
    group, follower = _one(demo, Subject, "Crimson Dawn"), _one(demo, Subject, "Kestrel Vance")
    lead, analyst = demo.lead, demo.analyst
    demo.at(100)
    details = CaseDetails(
        title="Crimson Dawn: threats against Lumina Social staff and leadership",
        summary=(
            "Supporters of Crimson Dawn threaten the staff, the CEO and the co-founder after "
            "the suspension of the group's accounts, and open new accounts after each one."
        ),
        priority="high",
        next_review_at=demo.today + timedelta(days=3),
        protectee_ids=[staff.id, ceo.id],
        subject_ids=[group.id],
    )
    case = create_case(demo.session, demo.actor(lead), lead, details)
    _threat(
        demo,
        case,
        lead,
        150,
        channel="public_post",
        text=ARABIC_CALL,
        language="ar",
        translation=ARABIC_TRANSLATION,
        threat_type="direct",
        handle="@crimsondawn",
        target_ids=[staff.id],
        grading_source="3",
        grading_information="C",
        notes="Posted the day the account was suspended; found again in an archive.",
    )
    named = _threat(
        demo,
        case,
        lead,
        101,
        channel="public_post",
        text="Dana Whitfield, for every account you delete one of your people will pay.",
        threat_type="conditional",
        handle="@crimsondawn_2",
        target_ids=[ceo.id],
        grading_source="2",
        grading_information="B",
        notes="The CEO spoke about it to the Harbour Gazette the next morning.",
    )
    _move(demo, case, lead, 99, "triage", "assessment")
    demo.at(98, 15)
    _assess(
        demo,
        case,
        lead,
        {
            "directly_communicated_threat": (1, "Stated in public, not sent to her."),
            "target_specificity": (2, "The CEO is named."),
            "unconditional": (0, ""),
            "organisational_backing": (2, "A group with many supporters."),
        },
    )
    _photo_threat(demo, case, founder, follower, group, staff, ceo)
    _move(demo, case, lead, 88, "active")
    _tasks(demo, case, named)
    _threat(
        demo,
        case,
        lead,
        75,
        channel="public_post",
        text="For every account you suspend we will open ten. You cannot silence Crimson Dawn.",
        threat_type="veiled",
        handle="@crimsondawn_3",
        target_ids=[staff.id],
        grading_source="2",
        grading_information="B",
    )
    _handoff(demo, case)
    _threat(
        demo,
        case,
        analyst,
        30,
        hour=22,
        channel="direct_message",
        text="See you at the Lisbon summit, Tomas. Front row.",
        threat_type="veiled",
        handle="@k_vance_88",
        target_ids=[founder.id],
        grading_source="2",
        grading_information="B",
        grading_handling="P",
    )
    demo.at(28, 14)
    _assess(
        demo,
        case,
        analyst,
        {
            "directly_communicated_threat": (2, "A direct message to the co-founder."),
            "target_specificity": (2, "Named protectees."),
            "time_place_method": (2, "A place and an event: the Lisbon summit."),
            "fixation": (2, "Months of posts about the company's leadership."),
            "identification": (1, "Supporters copy the group's language and symbols."),
            "organisational_backing": (2, "A group with many supporters."),
            "knowledge_of_movements": (2, "Knows the co-founder's public speaking schedule."),
        },
        LevelOverride("high", "The Lisbon summit is three weeks away; we treat it as high."),
    )
    _refer_and_brief(demo, case)


def _photo_threat(
    demo: Demo,
    case: Case,
    founder: Protectee,
    follower: Subject,
    group: Subject,
    staff: Protectee,
    ceo: Protectee,
) -> None:
    """The supporter's post of the co-founder's portrait with crosshairs on his face, and
    the doctored copy kept as evidence (the matching ties it to his reference photo)."""
    post = _threat(
        demo,
        case,
        demo.lead,
        90,
        channel="public_post",
        text="[Photo of Tomas Reyes with crosshairs drawn on his face] He is next.",
        threat_type="veiled",
        handle="@k_vance_88",
        target_ids=[founder.id],
        grading_source="2",
        grading_information="A",
    )
    demo.at(90, 14)
    details = CaseDetails(
        title=case.title,
        summary=case.summary,
        priority=case.priority,
        next_review_at=case.next_review_at,
        protectee_ids=[staff.id, ceo.id, founder.id],
        subject_ids=[group.id, follower.id],
    )
    update_case(demo.session, demo.actor(demo.lead), case, details, case.version)
    copy = doctored(portrait(PORTRAIT_SEED, PORTRAIT_SIDE), seed=7, caption="HE IS NEXT")
    _upload(
        demo,
        jpeg(copy, quality=80),
        "k_vance_88-post.jpg",
        actor=demo.actor(demo.lead),
        case=case,
        threat=post,
        acquisition=Acquisition(
            description="The image of the post, saved from the platform",
            acquired_at=demo.moment(90, 13),
            acquired_by="Mira Okafor",
            method="platform export",
            source_url="https://chirper.example/k_vance_88/posts/88120457",
        ),
    )


def _tasks(demo: Demo, case: Case, named: Threat) -> None:
    lead, analyst = demo.actor(demo.lead), demo.analyst
    demo.at(88, 16)
    preserve = create_task(
        demo.session,
        lead,
        case,
        "Ask Chirper to preserve the data of @crimsondawn_2 and @k_vance_88",
        demo.lead,
        demo.today - timedelta(days=80),
    )
    brief = create_task(
        demo.session,
        lead,
        case,
        "Brief Tomas Reyes's driver and the Harbour House reception on the photo",
        demo.lead,
        demo.today - timedelta(days=85),
    )
    demo.at(86)
    set_task_status(demo.session, lead, case, brief, "done")
    demo.at(82)
    set_task_status(demo.session, lead, case, preserve, "done")
    demo.at(27)
    create_task(
        demo.session,
        demo.actor(analyst),
        case,
        "Review the security plan for the Lisbon summit with the event organisers",
        analyst,
        demo.today + timedelta(days=5),
    )


def _handoff(demo: Demo, case: Case) -> None:
    """The lead goes on leave: the case passes to the analyst, who accepts it next day."""
    assert demo.lead is not None and demo.analyst is not None
    demo.at(60, 17)
    brief = Brief(
        situation=(
            "Crimson Dawn reopens accounts after each suspension; a supporter posted the "
            "co-founder's portrait with crosshairs. Data preservation is done."
        ),
        concern="Moderate: no approach seen, but the group names the CEO and the co-founder.",
        next_steps="Watch @crimsondawn_3 and @k_vance_88; reassess after any new threat.",
    )
    handoff = create_handoff(
        demo.session, demo.actor(demo.lead), demo.lead, case, demo.analyst, brief
    )
    demo.at(59, 9)
    accept_handoff(demo.session, demo.actor(demo.analyst), demo.analyst, handoff)


def _refer_and_brief(demo: Demo, case: Case) -> None:
    assert demo.lead is not None
    referred = demo.at(21, 11)
    details = ReferralDetails(
        agency=UNIT,
        unit="Online Threats Unit",
        officer="DS Priya Nair",
        reference="OTU-2026-0457",
        referred_at=referred,
        notes="Referred after the direct message naming the Lisbon summit.",
    )
    refer_case(demo.session, demo.actor(demo.lead), demo.lead.role, case, details)
    demo.at(20, 15)
    options = BriefingOptions(
        recipient=f"{UNIT}, DS Priya Nair",
        marking="TLP:AMBER",
        author=demo.lead.display_name,
    )
    export_briefing(
        demo.session, demo.actor(demo.lead), case, options, demo.store, demo.export_settings
    )


def _new_case(demo: Demo) -> None:
    """Yesterday's call to the Dublin office, waiting for the analyst to accept it."""
    assert demo.lead is not None and demo.analyst is not None
    staff = _one(demo, Protectee, "All staff")
    demo.at(2, 16)
    case = create_case(
        demo.session,
        demo.actor(demo.lead),
        demo.lead,
        CaseDetails(
            title="Caller threatening the Dublin office",
            summary="A caller said the Dublin office would 'burn like their accounts'.",
            next_review_at=demo.today + timedelta(days=1),
            protectee_ids=[staff.id],
        ),
    )
    _threat(
        demo,
        case,
        demo.lead,
        2,
        hour=14,
        channel="phone",
        text="Your Dublin office will burn like our accounts did.",
        threat_type="conditional",
        reported_by="Dublin office manager",
        target_ids=[staff.id],
    )
    _move(demo, case, demo.lead, 2, "triage")
    demo.at(1, 18)
    brief = Brief(
        situation="One call to the Dublin switchboard; the number is withheld.",
        concern="Unknown: may be linked to Crimson Dawn's wording.",
        next_steps="Ask the telephone provider for the call record; compare the wording.",
    )
    create_handoff(demo.session, demo.actor(demo.lead), demo.lead, case, demo.analyst, brief)


STORY: tuple[Callable[[Demo], None], ...] = (_people, _old_case, _main_case, _new_case)
