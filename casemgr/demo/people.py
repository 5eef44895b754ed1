"""The demo's users, protectees (with the co-founder's published portrait as his reference
photo), and the group with the accounts it keeps reopening and its supporter."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from casemgr.audit.log import SYSTEM
from casemgr.auth.accounts import create_user
from casemgr.demo.pictures import jpeg, portrait
from casemgr.demo.scene import ANALYST, LEAD, PORTRAIT_SEED, PORTRAIT_SIDE, Demo, DemoUser, upload
from casemgr.evidence.ingest import Acquisition
from casemgr.people.protectees import ProtecteeDetails, all_staff, create_protectee
from casemgr.people.subjects import AccountDetails, SubjectDetails, add_accounts, create_subject


def make_users(demo: Demo, password: str | None) -> list[DemoUser]:
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


def make_people(demo: Demo) -> None:
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
    upload(
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
