"""A case's timeline, and the case list: its filters, sort orders and the visibility rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.audit.log import verify_audit_chain
from casemgr.auth.models import User
from casemgr.auth.permissions import can_see_case
from casemgr.cases.actions import ReferralDetails, refer_case, set_task_status
from casemgr.cases.handoffs import Brief, accept_handoff, create_handoff
from casemgr.cases.listing import CaseFilters, filtered_cases, sorted_cases
from casemgr.cases.models import Case
from casemgr.cases.operations import transition_case
from casemgr.cases.timeline import case_timeline
from casemgr.db import utcnow
from tests.cases.conftest import (
    actor_of,
    add_user,
    make_case,
    make_protectee,
    make_subject,
    make_task,
    make_threat,
)

BRIEF = Brief("Quiet week.", "Low.", "Keep watching.")


def refs(session: Session, user: User, **filters: object) -> list[str]:
    statement = sorted_cases(filtered_cases(session, user, CaseFilters(**filters)), "ref")
    return [case.ref for case in session.scalars(statement)]


# Timeline ----------------------------------------------------------------------------------


def test_the_timeline_merges_everything_in_time_order(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    lead, analyst = staff["lead"], staff["analyst"]
    gulf = timezone(timedelta(hours=4))
    # Logged now, but they happened before the case was opened, in two time zones.
    make_threat(session, case, "First post.", occurred_at=utcnow() - timedelta(days=3))
    make_threat(
        session,
        case,
        "Second post.",
        occurred_at=(utcnow() - timedelta(days=2)).astimezone(gulf),
    )
    transition_case(session, actor_of(analyst), "analyst", case, "triage", "Two posts.")
    transition_case(session, actor_of(analyst), "analyst", case, "assessment", "Scoring.")
    task = make_task(session, case, "Tell the CEO's assistant")
    set_task_status(session, actor_of(analyst), case, task, "done")
    colleague = add_user(session, "nadia")
    handoff = create_handoff(session, actor_of(analyst), analyst, case, colleague, BRIEF)
    accept_handoff(session, actor_of(colleague), colleague, handoff)
    refer_case(session, actor_of(lead), "lead", case, ReferralDetails(agency="CT Police"))
    session.commit()
    session.expire_all()

    entries = case_timeline(session, case)
    times = [entry.at for entry in entries]
    assert times == sorted(times)
    summaries = [entry.summary for entry in entries]
    assert summaries[0].endswith("First post.")
    assert summaries[1].endswith("Second post.")
    assert summaries[2] == "opened → new: Case opened."
    assert set(summaries[-2:]) == {
        "assessment → referred: Referred to CT Police.",
        "Referred to CT Police",
    }
    assert {entry.kind for entry in entries} == {"threat", "status", "task", "handoff", "referral"}
    assert "Handoff to nadia accepted" in summaries
    assert "Task done: Tell the CEO's assistant" in summaries
    assert verify_audit_chain(session) is None


def test_a_threat_given_in_another_time_zone_sorts_by_its_real_moment(
    session: Session, case: Case
) -> None:
    base = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    east = timezone(timedelta(hours=3))
    make_threat(session, case, "noon UTC", occurred_at=base)
    # 14:00 at UTC+3 is 11:00 UTC: before noon UTC, although its wall-clock time is later.
    make_threat(session, case, "eleven UTC", occurred_at=datetime(2025, 1, 10, 14, tzinfo=east))
    make_threat(session, case, "one UTC", occurred_at=base + timedelta(hours=1))

    threats = [entry for entry in case_timeline(session, case) if entry.kind == "threat"]
    assert [entry.summary.split(": ")[1] for entry in threats] == [
        "eleven UTC",
        "noon UTC",
        "one UTC",
    ]


def test_a_long_threat_is_shortened_on_one_line_in_the_timeline(
    session: Session, case: Case
) -> None:
    make_threat(session, case, "line one\n\nline   two " + "x" * 400)
    [entry] = [entry for entry in case_timeline(session, case) if entry.kind == "threat"]
    excerpt = entry.summary.split(": ", 1)[1]
    assert excerpt.startswith("line one line two x")
    assert len(excerpt) == 160 and excerpt.endswith("…")


# Listing filters ---------------------------------------------------------------------------


@pytest.fixture
def desk(session: Session, staff: dict[str, User]) -> dict[str, Case]:
    """Four cases on one desk, told apart by each filter."""
    analyst, lead = staff["analyst"], staff["lead"]
    ceo = make_protectee(session, "Adrian Kessler")
    founder = make_protectee(session, "Mira Solberg")
    group = make_subject(session, "Dawn Vanguard")
    past, future = utcnow() - timedelta(days=1), utcnow() + timedelta(days=5)
    cases = {
        "ceo": make_case(
            session, analyst, "CEO named", protectee_ids=[ceo.id], next_review_at=past
        ),
        "founder": make_case(
            session, lead, "Crosshairs photo", protectee_ids=[founder.id], subject_ids=[group.id]
        ),
        "staff": make_case(session, analyst, "Workforce post", next_review_at=future),
        "closed": make_case(session, lead, "Old letter", next_review_at=past),
    }
    cases["founder"].concern_level = "high"
    cases["closed"].status = "closed"
    create_handoff(session, actor_of(lead), lead, cases["founder"], analyst, BRIEF)
    session.commit()
    return cases


def names(desk: dict[str, Case], found: list[str]) -> set[str]:
    by_ref = {case.ref: name for name, case in desk.items()}
    return {by_ref[ref] for ref in found}


def names_in_order(desk: dict[str, Case], found: list[str]) -> list[str]:
    by_ref = {case.ref: name for name, case in desk.items()}
    return [by_ref[ref] for ref in found]


def test_the_list_filters_by_status_and_can_leave_closed_cases_out(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    lead = staff["lead"]
    assert names(desk, refs(session, lead, status="closed")) == {"closed"}
    assert names(desk, refs(session, lead, status="new")) == {"ceo", "founder", "staff"}
    assert names(desk, refs(session, lead, include_closed=False)) == {"ceo", "founder", "staff"}
    assert names(desk, refs(session, lead)) == set(desk)


def test_the_list_filters_by_owner_protectee_and_subject(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    lead = staff["lead"]
    founder_case = desk["founder"]
    assert names(desk, refs(session, lead, owner="analyst")) == {"ceo", "staff"}
    assert refs(session, lead, owner="nobody") == []
    protectee_id = desk["ceo"].protectees[0].id
    assert names(desk, refs(session, lead, protectee_id=protectee_id)) == {"ceo"}
    subject_id = founder_case.subjects[0].id
    assert names(desk, refs(session, lead, subject_id=subject_id)) == {"founder"}


def test_the_list_filters_overdue_reviews_pending_handoffs_and_unassessed_cases(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    lead = staff["lead"]
    # A closed case is never overdue.
    assert names(desk, refs(session, lead, overdue=True)) == {"ceo"}
    assert names(desk, refs(session, lead, pending_handoff=True)) == {"founder"}
    assert names(desk, refs(session, lead, concern="none")) == {"ceo", "staff", "closed"}
    assert names(desk, refs(session, lead, concern="high")) == {"founder"}


def test_filters_combine(session: Session, staff: dict[str, User], desk: dict[str, Case]) -> None:
    lead = staff["lead"]
    assert names(desk, refs(session, lead, owner="analyst", overdue=True)) == {"ceo"}
    assert refs(session, lead, owner="analyst", pending_handoff=True) == []


def test_sort_orders_and_an_unknown_sort_falls_back_to_last_update(
    session: Session, staff: dict[str, User], desk: dict[str, Case]
) -> None:
    lead = staff["lead"]

    def order(sort: str) -> list[str]:
        statement = sorted_cases(filtered_cases(session, lead, CaseFilters()), sort)
        return names_in_order(desk, [case.ref for case in session.scalars(statement)])

    assert order("ref") == ["ceo", "founder", "staff", "closed"]
    assert order("review") == ["ceo", "closed", "staff", "founder"]
    assert order("concern")[0] == "founder"
    assert order("no such sort") == order("updated")


def test_priority_and_concern_sort_the_most_pressing_first_and_follow_changes(
    session: Session, staff: dict[str, User]
) -> None:
    lead = staff["lead"]
    levels = {"low": "high", "normal": None, "high": "imminent", "urgent": "low"}
    made = {
        priority: make_case(session, lead, f"{priority} case", priority=priority)
        for priority in levels
    }
    for priority, level in levels.items():
        made[priority].concern_level = level
    session.commit()

    def order(sort: str) -> list[str]:
        statement = sorted_cases(filtered_cases(session, lead, CaseFilters()), sort)
        return [case.title.split()[0] for case in session.scalars(statement)]

    assert order("priority") == ["urgent", "high", "normal", "low"]
    assert order("concern") == ["high", "low", "urgent", "normal"]  # not assessed last
    made["low"].priority, made["normal"].concern_level = "urgent", "imminent"
    session.commit()
    assert order("priority")[:2] == ["low", "urgent"]  # the same rank: last updated first
    assert order("concern")[:2] == ["normal", "high"]


# Visibility --------------------------------------------------------------------------------


@pytest.fixture
def restricted(session: Session, staff: dict[str, User]) -> Case:
    """A restricted case owned by an analyst, with another analyst as member."""
    owner = add_user(session, "owen", "analyst")
    add_user(session, "mona", "analyst")
    case = make_case(session, owner, "Insider threat", restricted=True, members=["mona"])
    make_case(session, staff["lead"], "Open case")
    session.commit()
    return case


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("owen", True),  # owner
        ("mona", True),  # member
        ("lead", True),
        ("admin", True),
        ("analyst", False),  # an analyst who is not a member
        ("viewer", False),
    ],
)
def test_a_restricted_case_is_listed_only_for_its_owner_members_and_leads(
    session: Session, restricted: Case, username: str, sees: bool
) -> None:
    user = session.scalars(select(User).where(User.username == username)).one()
    listed = refs(session, user)
    assert (restricted.ref in listed) is sees
    assert can_see_case(user, restricted) is sees
    assert len(listed) == (2 if sees else 1)  # the open case is listed for everyone
    assert (restricted.ref in refs(session, user, q="Insider")) is sees
