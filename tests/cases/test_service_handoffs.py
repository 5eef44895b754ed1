"""Handoffs: a written brief, one pending at a time, and the owner changes only on acceptance."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.cases.actions import set_task_status
from casemgr.cases.handoffs import (
    Brief,
    accept_handoff,
    cancel_handoff,
    create_handoff,
    decline_handoff,
    pending_handoff,
)
from casemgr.cases.models import Case, Handoff
from casemgr.cases.operations import StaleVersion
from casemgr.errors import Conflict, PermissionDenied, ValidationFailed
from tests.cases.conftest import (
    actor_of,
    add_user,
    count,
    events_since,
    last_event_id,
    make_task,
)

BRIEF = Brief(
    situation="Group threatened the CEO by name after the suspensions.",
    concern="Moderate: new accounts appear within hours of each suspension.",
    next_steps="Watch the new handles; call the CT unit on Monday.",
)


def hand_off(session: Session, giver: User, case: Case, receiver: User | None) -> Handoff:
    return create_handoff(session, actor_of(giver), giver, case, receiver, BRIEF)


@pytest.fixture
def colleague(session: Session) -> User:
    """A second analyst to hand cases to."""
    return add_user(session, "nadia", "analyst")


def test_the_owner_hands_off_and_the_owner_changes_only_when_accepted(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    analyst = staff["analyst"]
    mark = last_event_id(session)
    handoff = hand_off(session, analyst, case, colleague)
    session.commit()

    assert (handoff.status, handoff.from_user_id, handoff.to_user_id) == (
        "pending",
        analyst.id,
        colleague.id,
    )
    assert (handoff.situation, handoff.concern, handoff.next_steps) == (
        BRIEF.situation,
        BRIEF.concern,
        BRIEF.next_steps,
    )
    assert case.owner_id == analyst.id
    assert pending_handoff(session, case) is handoff

    accept_handoff(session, actor_of(colleague), colleague, handoff)
    session.commit()
    assert case.owner_id == colleague.id
    assert handoff.status == "accepted" and handoff.responded_at is not None
    assert pending_handoff(session, case) is None
    created, accepted = events_since(session, mark)
    assert (created.action, created.changes["to_user"]["new"]) == ("handoff.create", "nadia")
    assert accepted.action == "handoff.accepted"
    assert accepted.changes["owner"] == {"old": analyst.id, "new": colleague.id}


def test_a_lead_may_hand_off_a_case_they_do_not_own(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    handoff = hand_off(session, staff["lead"], case, colleague)
    assert handoff.from_user_id == staff["lead"].id


def test_nobody_else_may_hand_off_the_case(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    for giver in (colleague, staff["viewer"]):
        with pytest.raises(PermissionDenied):
            hand_off(session, giver, case, staff["admin"])
    assert count(session, Handoff) == 0


@pytest.mark.parametrize("receiver", ["disabled", "viewer", "owner", "nobody"])
def test_a_handoff_is_refused_to_someone_who_cannot_take_the_case(
    session: Session, staff: dict[str, User], case: Case, receiver: str
) -> None:
    receivers = {
        "disabled": add_user(session, "on_leave", "analyst", active=False),
        "viewer": staff["viewer"],
        "owner": staff["analyst"],
        "nobody": None,
    }
    with pytest.raises(ValidationFailed) as refused:
        hand_off(session, staff["analyst"], case, receivers[receiver])
    assert list(refused.value.errors) == ["to_user"]
    assert count(session, Handoff) == 0


@pytest.mark.parametrize("field", ["situation", "concern", "next_steps"])
@pytest.mark.parametrize("blank", ["", "  \n "])
def test_a_handoff_without_every_part_of_the_brief_is_refused(
    session: Session, staff: dict[str, User], case: Case, colleague: User, field: str, blank: str
) -> None:
    analyst = staff["analyst"]
    brief = replace(BRIEF, **{field: blank})
    with pytest.raises(ValidationFailed) as refused:
        create_handoff(session, actor_of(analyst), analyst, case, colleague, brief)
    assert list(refused.value.errors) == [field]
    assert count(session, Handoff) == 0


def test_a_second_handoff_is_refused_while_one_is_pending(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    hand_off(session, staff["analyst"], case, colleague)
    with pytest.raises(Conflict, match="already waiting"):
        hand_off(session, staff["lead"], case, staff["admin"])
    assert count(session, Handoff) == 1


def test_declining_needs_a_reason_and_leaves_the_owner(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    handoff = hand_off(session, staff["analyst"], case, colleague)
    with pytest.raises(ValidationFailed) as refused:
        decline_handoff(session, actor_of(colleague), colleague, handoff, "  ")
    assert list(refused.value.errors) == ["reason"]
    assert handoff.status == "pending"

    decline_handoff(session, actor_of(colleague), colleague, handoff, "On leave from Friday.")
    session.commit()
    assert (handoff.status, handoff.decline_reason) == ("declined", "On leave from Friday.")
    assert case.owner_id == staff["analyst"].id
    # Once answered, the case can be offered again.
    again = hand_off(session, staff["analyst"], case, staff["admin"])
    assert again.status == "pending"


def test_only_the_receiver_answers_and_only_once(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    handoff = hand_off(session, staff["analyst"], case, colleague)
    for stranger in (staff["analyst"], staff["lead"]):
        with pytest.raises(PermissionDenied):
            accept_handoff(session, actor_of(stranger), stranger, handoff)
        with pytest.raises(PermissionDenied):
            decline_handoff(session, actor_of(stranger), stranger, handoff, "Not mine.")
    assert case.owner_id == staff["analyst"].id

    accept_handoff(session, actor_of(colleague), colleague, handoff)
    with pytest.raises(Conflict, match="already accepted"):
        accept_handoff(session, actor_of(colleague), colleague, handoff)
    with pytest.raises(Conflict):
        decline_handoff(session, actor_of(colleague), colleague, handoff, "Changed my mind.")
    assert case.owner_id == colleague.id


def test_the_giver_or_a_lead_may_withdraw_a_pending_handoff(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    handoff = hand_off(session, staff["analyst"], case, colleague)
    with pytest.raises(PermissionDenied):
        cancel_handoff(session, actor_of(colleague), colleague, handoff)
    cancel_handoff(session, actor_of(staff["analyst"]), staff["analyst"], handoff)
    assert (handoff.status, case.owner_id) == ("cancelled", staff["analyst"].id)

    second = hand_off(session, staff["analyst"], case, colleague)
    cancel_handoff(session, actor_of(staff["lead"]), staff["lead"], second)
    assert second.status == "cancelled"


def test_open_tasks_and_the_review_date_are_filled_into_the_handoff(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    review = datetime(2031, 3, 2, 9, 30, tzinfo=UTC)
    case.next_review_at = review
    make_task(session, case, "Brief the CEO's driver", due_at=datetime(2031, 3, 1, 8, tzinfo=UTC))
    make_task(session, case, "Ask the platform for subscriber data")
    done = make_task(session, case, "Photograph the letter")
    set_task_status(session, actor_of(staff["analyst"]), case, done, "done")
    session.commit()

    handoff = hand_off(session, staff["analyst"], case, colleague)
    session.commit()
    session.expire_all()
    assert handoff.review_at == review
    # Soonest due first, undated last, on SQLite and PostgreSQL alike.
    assert handoff.open_tasks.splitlines() == [
        "- Brief the CEO's driver (due 2031-03-01 08:00 UTC)",
        "- Ask the platform for subscriber data",
    ]


def test_a_task_due_in_another_time_zone_is_shown_in_utc(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    riyadh = timezone(timedelta(hours=3))
    # Held in this transaction, the task still carries the time zone it was given in.
    task = make_task(session, case, "Meet the CT unit", datetime(2031, 3, 1, 14, tzinfo=riyadh))
    handoff = hand_off(session, staff["analyst"], case, colleague)
    assert task.due_at.utcoffset() == timedelta(hours=3)
    assert handoff.open_tasks == "- Meet the CT unit (due 2031-03-01 11:00 UTC)"


def test_a_handoff_based_on_a_stale_version_is_refused(
    session: Session, staff: dict[str, User], case: Case, colleague: User
) -> None:
    analyst = staff["analyst"]
    seen = case.version
    make_task(session, case)
    session.flush()
    with pytest.raises(StaleVersion):
        create_handoff(session, actor_of(analyst), analyst, case, colleague, BRIEF, seen)
    assert count(session, Handoff) == 0
