"""The case workflow: the transition table as a pure rule, and transition_case on a database."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatusChange
from casemgr.cases.operations import StaleVersion, transition_case
from casemgr.cases.workflow import (
    STATUS_LABELS,
    TRANSITIONS,
    TransitionNotAllowed,
    TransitionRequest,
    check_transition,
    next_statuses,
)
from casemgr.db import utcnow
from casemgr.errors import ValidationFailed
from tests.cases.conftest import actor_of, count, events_since, last_event_id, make_assessment

STATUSES = list(STATUS_LABELS)
ALLOWED = sorted(
    (current, target) for current, targets in TRANSITIONS.items() for target in targets
)
REFUSED = sorted(
    (current, target)
    for current, target in product(STATUSES, STATUSES)
    if current != target and target not in TRANSITIONS[current]
)
LEAD_ONLY = sorted(
    (current, target)
    for current, target in ALLOWED
    if current == "closed" or target in ("closed", "referred")
)


def request(
    current: str, target: str, role: str = "lead", assessed: bool = True
) -> TransitionRequest:
    return TransitionRequest(current, target, "Reviewed on the morning call.", role, assessed)


# The pure rule -----------------------------------------------------------------------------


def test_the_table_names_every_status_and_only_known_statuses() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_transition_in_the_table_is_allowed_for_a_lead(current: str, target: str) -> None:
    check_transition(request(current, target))


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_move_outside_the_table_is_refused_naming_from_and_to(
    current: str, target: str
) -> None:
    for role in ("admin", "lead", "analyst"):
        with pytest.raises(TransitionNotAllowed) as refused:
            check_transition(request(current, target, role))
        assert f"from {current} to {target}" in refused.value.detail


@pytest.mark.parametrize("status", STATUSES)
def test_moving_a_case_to_the_status_it_already_has_is_refused(status: str) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        check_transition(request(status, status))
    assert STATUS_LABELS[status].lower() in refused.value.detail


@pytest.mark.parametrize(("current", "target"), sorted(set(ALLOWED) - set(LEAD_ONLY)))
def test_an_analyst_may_make_every_move_that_is_not_a_leads_action(
    current: str, target: str
) -> None:
    check_transition(request(current, target, "analyst", assessed=False))


@pytest.mark.parametrize(("current", "target"), LEAD_ONLY)
def test_reopening_closing_and_referring_are_refused_to_analysts_and_viewers(
    current: str, target: str
) -> None:
    for role in ("analyst", "viewer"):
        with pytest.raises(TransitionNotAllowed) as refused:
            check_transition(request(current, target, role))
        assert "lead's action" in refused.value.detail
    for role in ("lead", "admin"):
        check_transition(request(current, target, role))


@pytest.mark.parametrize("current", sorted(s for s in STATUSES if "closed" in TRANSITIONS[s]))
def test_closing_needs_an_assessment_even_for_a_lead(current: str) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        check_transition(request(current, "closed", "lead", assessed=False))
    assert "assessment" in refused.value.detail


def test_reopening_needs_no_assessment() -> None:
    check_transition(request("closed", "triage", "lead", assessed=False))


@pytest.mark.parametrize("reason", ["", " ", "\n\t  "])
def test_a_blank_reason_is_refused_before_anything_else(reason: str) -> None:
    for current, target in [("new", "triage"), ("new", "active"), ("closed", "triage")]:
        with pytest.raises(ValidationFailed) as refused:
            check_transition(TransitionRequest(current, target, reason, "analyst", False))
        assert set(refused.value.errors) == {"reason"}


def test_next_statuses_follow_the_table_in_workflow_order() -> None:
    for status in STATUSES:
        offered = next_statuses(status)
        assert set(offered) == TRANSITIONS[status]
        assert offered == sorted(offered, key=STATUSES.index)


# transition_case on a database -------------------------------------------------------------


def move(session: Session, case: Case, user: User, *path: str) -> None:
    for target in path:
        transition_case(session, actor_of(user), user.role, case, target, f"On to {target}.")
    session.flush()


def status_changes(session: Session, case: Case) -> list[CaseStatusChange]:
    return list(
        session.scalars(
            select(CaseStatusChange)
            .where(CaseStatusChange.case_id == case.id)
            .order_by(CaseStatusChange.id)
        )
    )


def test_a_transition_records_who_when_from_to_and_why(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    analyst = staff["analyst"]
    before = utcnow()
    mark = last_event_id(session)
    transition_case(
        session, actor_of(analyst), "analyst", case, "triage", "  Named threat in the press.  "
    )
    session.commit()

    assert case.status == "triage"
    opened, moved = status_changes(session, case)
    assert (opened.from_status, opened.to_status) == (None, "new")
    assert (moved.from_status, moved.to_status) == ("new", "triage")
    assert moved.reason == "Named threat in the press."
    assert moved.actor_id == analyst.id
    assert before <= moved.at <= utcnow()
    [event] = events_since(session, mark)
    assert (event.action, event.actor, event.case_ref) == ("case.transition", "analyst", case.ref)
    assert event.changes["status"] == {"old": "new", "new": "triage"}
    assert event.changes["reason"]["new"] == "Named threat in the press."


def test_a_blank_reason_changes_nothing(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    version, mark, changes = case.version, last_event_id(session), count(session, CaseStatusChange)
    with pytest.raises(ValidationFailed):
        transition_case(session, actor_of(staff["lead"]), "lead", case, "triage", "   ")
    session.flush()
    assert (case.status, case.version) == ("new", version)
    assert count(session, CaseStatusChange) == changes
    assert events_since(session, mark) == []


def test_a_refused_transition_changes_nothing(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    version, mark = case.version, last_event_id(session)
    with pytest.raises(TransitionNotAllowed, match="from new to active"):
        transition_case(session, actor_of(staff["lead"]), "lead", case, "active", "Skip ahead.")
    session.flush()
    assert (case.status, case.version) == ("new", version)
    assert len(status_changes(session, case)) == 1
    assert events_since(session, mark) == []


def test_a_lead_closes_a_case_only_once_it_has_an_assessment(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    lead = staff["lead"]
    move(session, case, lead, "triage", "assessment")
    with pytest.raises(TransitionNotAllowed, match="assessment"):
        transition_case(session, actor_of(lead), "lead", case, "closed", "No further threats.")
    assert case.status == "assessment"

    make_assessment(session, case)
    transition_case(session, actor_of(lead), "lead", case, "closed", "No further threats.")
    session.commit()
    assert case.status == "closed"
    assert status_changes(session, case)[-1].from_status == "assessment"


def test_an_analyst_can_neither_close_nor_reopen_a_case(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    analyst, lead = staff["analyst"], staff["lead"]
    make_assessment(session, case)
    with pytest.raises(TransitionNotAllowed, match="lead's action"):
        transition_case(session, actor_of(analyst), "analyst", case, "closed", "Done.")
    move(session, case, lead, "closed")
    with pytest.raises(TransitionNotAllowed, match="lead's action"):
        transition_case(session, actor_of(analyst), "analyst", case, "triage", "New post.")
    assert case.status == "closed"

    transition_case(session, actor_of(lead), "lead", case, "triage", "New post.")
    assert case.status == "triage"


def test_a_transition_based_on_a_stale_version_is_refused(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen = case.version
    move(session, case, staff["analyst"], "triage")
    assert case.version > seen
    with pytest.raises(StaleVersion):
        transition_case(
            session, actor_of(staff["analyst"]), "analyst", case, "dormant", "Quiet.", seen
        )
    assert case.status == "triage"
