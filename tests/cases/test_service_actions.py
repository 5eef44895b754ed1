"""Protective actions (tasks) and referrals to law enforcement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.cases.actions import (
    ReferralDetails,
    create_task,
    get_task,
    refer_case,
    set_task_status,
)
from casemgr.cases.models import Case, CaseStatusChange, Referral, Task
from casemgr.cases.operations import StaleVersion, transition_case
from casemgr.cases.workflow import TransitionNotAllowed
from casemgr.db import utcnow
from casemgr.errors import NotFound, PermissionDenied, ValidationFailed
from tests.cases.conftest import (
    actor_of,
    add_user,
    count,
    events_since,
    last_event_id,
    make_case,
    make_task,
)

CT_UNIT = ReferralDetails(
    agency="National Counter-Terrorism Police",
    unit="  Online Threats Desk ",
    officer="DS Hollis",
    contact="hollis@ct.example\n+44 20 7946 0000",
    reference="CT/2031/0457",
    notes="Sent the briefing by secure mail.",
)


# Tasks -------------------------------------------------------------------------------------


def test_a_task_is_added_with_its_owner_and_due_date_and_audited(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    due = datetime(2031, 3, 1, 8, tzinfo=UTC)
    seen, mark = case.version, last_event_id(session)
    task = create_task(
        session, actor_of(staff["lead"]), case, "  Vary the route  ", staff["analyst"], due
    )
    session.commit()

    assert (task.title, task.owner_id, task.due_at, task.status) == (
        "Vary the route",
        staff["analyst"].id,
        due,
        "open",
    )
    assert case.version > seen
    [event] = events_since(session, mark)
    assert (event.action, event.case_ref) == ("task.create", case.ref)
    assert event.changes["owner"] == {"old": None, "new": "analyst"}


@pytest.mark.parametrize(
    ("title", "due_at", "disabled_owner", "field"),
    [
        ("  ", None, False, "title"),
        ("x" * 301, None, False, "title"),
        ("Call the driver", datetime(2031, 3, 1, 8), False, "due_at"),
        ("Call the driver", None, True, "owner"),
    ],
)
def test_an_invalid_task_is_refused_naming_the_field(
    session: Session,
    case: Case,
    title: str,
    due_at: datetime | None,
    disabled_owner: bool,
    field: str,
) -> None:
    owner = add_user(session, "on_leave", active=False) if disabled_owner else None
    with pytest.raises(ValidationFailed) as refused:
        create_task(session, actor_of(owner or add_user(session, "x")), case, title, owner, due_at)
    assert list(refused.value.errors) == [field]
    assert count(session, Task) == 0


def test_a_task_on_a_restricted_case_goes_only_to_someone_who_can_open_it(
    session: Session, staff: dict[str, User]
) -> None:
    analyst = staff["analyst"]
    member, outsider = add_user(session, "mona"), add_user(session, "otto")
    case = make_case(session, analyst, "Insider threat", restricted=True, members=["mona"])
    with pytest.raises(ValidationFailed) as refused:
        create_task(session, actor_of(analyst), case, "Check the badge logs", outsider)
    assert refused.value.errors == {"owner": ["otto is not a member of this restricted case."]}
    assert count(session, Task) == 0
    for owner in (member, analyst, staff["lead"]):
        task = create_task(session, actor_of(analyst), case, "Check the badge logs", owner)
        assert task.owner_id == owner.id


def test_finishing_a_task_stamps_it_and_reopening_clears_the_stamp(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    task = make_task(session, case)
    analyst = actor_of(staff["analyst"])
    set_task_status(session, analyst, case, task, "done")
    assert task.status == "done"
    assert utcnow() - task.completed_at < timedelta(minutes=1)

    set_task_status(session, analyst, case, task, "open")
    assert (task.status, task.completed_at) == ("open", None)
    with pytest.raises(ValidationFailed):
        set_task_status(session, analyst, case, task, "finished")


def test_marking_a_done_task_done_again_keeps_when_it_was_done(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    task = make_task(session, case)
    set_task_status(session, actor_of(staff["analyst"]), case, task, "done")
    session.commit()
    done_at, seen, mark = task.completed_at, case.version, last_event_id(session)

    set_task_status(session, actor_of(staff["lead"]), case, task, "done")
    session.commit()
    assert task.completed_at == done_at
    assert case.version == seen
    assert events_since(session, mark) == []


def test_a_task_is_found_only_on_its_own_case(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    task = make_task(session, case)
    other = make_case(session, staff["lead"], "Letter to the co-founder")
    assert get_task(session, case, task.id) is task
    with pytest.raises(NotFound):
        get_task(session, other, task.id)
    with pytest.raises(NotFound):
        get_task(session, case, task.id + 1000)


# Referrals ---------------------------------------------------------------------------------


def assessed(session: Session, case: Case, user: User) -> Case:
    for target in ("triage", "assessment"):
        transition_case(session, actor_of(user), user.role, case, target, "Working it.")
    session.flush()
    return case


def test_a_lead_refers_a_case_and_it_moves_to_referred(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    lead = staff["lead"]
    assessed(session, case, lead)
    mark = last_event_id(session)
    referral = refer_case(session, actor_of(lead), "lead", case, CT_UNIT, case.version)
    session.commit()

    assert case.status == "referred"
    assert (referral.agency, referral.unit, referral.reference) == (
        "National Counter-Terrorism Police",
        "Online Threats Desk",
        "CT/2031/0457",
    )
    assert referral.contact == CT_UNIT.contact
    assert utcnow() - referral.referred_at < timedelta(minutes=1)
    change = session.scalars(
        select(CaseStatusChange).order_by(CaseStatusChange.id.desc()).limit(1)
    ).one()
    assert (change.from_status, change.to_status, change.actor_id) == (
        "assessment",
        "referred",
        lead.id,
    )
    assert change.reason == "Referred to National Counter-Terrorism Police."
    assert [event.action for event in events_since(session, mark)] == [
        "case.transition",
        "referral.create",
    ]


def test_a_case_already_referred_gains_another_referral_without_a_new_status_change(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    lead = staff["lead"]
    assessed(session, case, lead)
    refer_case(session, actor_of(lead), "lead", case, CT_UNIT)
    changes = count(session, CaseStatusChange)
    when = datetime(2031, 2, 3, 10, tzinfo=UTC)
    second = ReferralDetails(agency="Metropolitan Police", referred_at=when)
    referral = refer_case(session, actor_of(lead), "lead", case, second)
    session.commit()

    assert referral.referred_at == when
    assert count(session, Referral) == 2
    assert count(session, CaseStatusChange) == changes


def test_an_analyst_cannot_refer_a_case(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    analyst = staff["analyst"]
    assessed(session, case, analyst)
    mark = last_event_id(session)
    with pytest.raises(PermissionDenied, match="lead's action"):
        refer_case(session, actor_of(analyst), "analyst", case, CT_UNIT)
    assert case.status == "assessment"
    assert count(session, Referral) == 0
    assert events_since(session, mark) == []


def test_a_new_case_cannot_be_referred_before_it_is_assessed(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    with pytest.raises(TransitionNotAllowed, match="from new to referred"):
        refer_case(session, actor_of(staff["lead"]), "lead", case, CT_UNIT)
    assert count(session, Referral) == 0


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (ReferralDetails(agency="   "), "agency"),
        (ReferralDetails(agency="Police", referred_at=datetime(2031, 2, 3, 10)), "referred_at"),
        (ReferralDetails(agency="Police", reference="r" * 201), "reference"),
    ],
)
def test_an_invalid_referral_is_refused_and_the_status_stays(
    session: Session, staff: dict[str, User], case: Case, details: ReferralDetails, field: str
) -> None:
    lead = staff["lead"]
    assessed(session, case, lead)
    with pytest.raises(ValidationFailed) as refused:
        refer_case(session, actor_of(lead), "lead", case, details)
    assert list(refused.value.errors) == [field]
    assert case.status == "assessment"
    assert count(session, Referral) == 0


def test_a_referral_based_on_a_stale_version_is_refused(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen = case.version
    assessed(session, case, staff["lead"])
    with pytest.raises(StaleVersion):
        refer_case(session, actor_of(staff["lead"]), "lead", case, CT_UNIT, seen)
    assert case.status == "assessment"
