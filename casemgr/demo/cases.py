"""The demo's cases: a letter closed last spring, the Crimson Dawn campaign from the CEO
named to the briefing of the counter-terrorism unit, and yesterday's call awaiting its
handoff."""

from __future__ import annotations

from datetime import timedelta

from casemgr.assessments.operations import LevelOverride
from casemgr.briefings.operations import export_briefing
from casemgr.briefings.snapshot import BriefingOptions
from casemgr.cases.actions import ReferralDetails, create_task, refer_case, set_task_status
from casemgr.cases.handoffs import Brief, accept_handoff, create_handoff
from casemgr.cases.models import Case
from casemgr.cases.operations import CaseDetails, create_case, update_case
from casemgr.demo.pictures import doctored, jpeg, portrait
from casemgr.demo.scene import (
    ARABIC_CALL,
    ARABIC_TRANSLATION,
    PORTRAIT_SEED,
    PORTRAIT_SIDE,
    UNIT,
    Demo,
    assess,
    move,
    one,
    threat,
    upload,
)
from casemgr.evidence.ingest import Acquisition
from casemgr.people.models import Protectee, Subject
from casemgr.threats.models import Threat


def old_case(demo: Demo) -> None:
    """A letter left at reception last spring: assessed as low concern and closed."""
    ceo = one(demo, Protectee, "Dana Whitfield")
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
    threat(
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
    move(demo, case, demo.lead, 159, "triage", "assessment")
    demo.at(158)
    assess(
        demo,
        case,
        demo.lead,
        {
            "target_specificity": (2, "The CEO is named."),
            "fixation": (1, "A grievance about one closed account."),
        },
    )
    move(demo, case, demo.lead, 140, "active", "closed")


def main_case(demo: Demo) -> None:
    """The campaign: opened when the CEO is named, worked for months, referred and briefed."""
    staff, ceo = one(demo, Protectee, "All staff"), one(demo, Protectee, "Dana Whitfield")
    founder = one(demo, Protectee, "Tomas Reyes")
    group, follower = one(demo, Subject, "Crimson Dawn"), one(demo, Subject, "Kestrel Vance")
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
    threat(
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
    named = threat(
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
    move(demo, case, lead, 99, "triage", "assessment")
    demo.at(98, 15)
    assess(
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
    move(demo, case, lead, 88, "active")
    _tasks(demo, case, named)
    threat(
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
    threat(
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
    assess(
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
    post = threat(
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
    upload(
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


def new_case(demo: Demo) -> None:
    """Yesterday's call to the Dublin office, waiting for the analyst to accept it."""
    assert demo.lead is not None and demo.analyst is not None
    staff = one(demo, Protectee, "All staff")
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
    threat(
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
    move(demo, case, demo.lead, 2, "triage")
    demo.at(1, 18)
    brief = Brief(
        situation="One call to the Dublin switchboard; the number is withheld.",
        concern="Unknown: may be linked to Crimson Dawn's wording.",
        next_steps="Ask the telephone provider for the call record; compare the wording.",
    )
    create_handoff(demo.session, demo.actor(demo.lead), demo.lead, case, demo.analyst, brief)
