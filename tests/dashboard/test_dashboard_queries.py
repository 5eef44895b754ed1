"""The dashboard's figures: threats per week as each user may see them, and the cases to
reassess with their latest assessment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from casemgr.auth.models import User
from casemgr.dashboard.queries import WEEKS, reassessment_due, threats_per_week
from casemgr.db import utcnow
from tests.cases.conftest import make_assessment, make_case, make_threat, session, staff

__all__ = ["session", "staff"]  # fixtures shared with the case tests


def test_threats_are_counted_in_the_week_they_occurred(
    session: Session, staff: dict[str, User]
) -> None:
    now = utcnow()
    case = make_case(session, staff["analyst"])
    for days_ago in (1, 2, 3 * 7 + 1, WEEKS * 7 + 3):  # the last one is too old to show
        make_threat(session, case, occurred_at=now - timedelta(days=days_ago))
    counts = threats_per_week(session, staff["analyst"], now)
    assert len(counts) == WEEKS and sum(counts) == 3
    assert counts[-1] == 2 and counts[-4] == 1


def test_threats_on_restricted_cases_count_only_for_those_who_may_see_them(
    session: Session, staff: dict[str, User]
) -> None:
    now, analyst, lead = utcnow(), staff["analyst"], staff["lead"]
    cases = [
        make_case(session, lead, "Open to all"),
        make_case(
            session, lead, "Restricted, with the analyst", restricted=True, members=["analyst"]
        ),
        make_case(session, analyst, "Restricted, the analyst's own", restricted=True),
        make_case(session, lead, "Restricted, without the analyst", restricted=True),
        make_case(session, None, "Restricted, owned by nobody", restricted=True),
    ]
    for number, case in enumerate(cases):
        for _ in range(number + 1):
            make_threat(session, case, occurred_at=now - timedelta(days=1))
    assert threats_per_week(session, analyst, now)[-1] == 1 + 2 + 3
    assert threats_per_week(session, lead, now)[-1] == 1 + 2 + 3 + 4 + 5
    assert threats_per_week(session, staff["viewer"], now)[-1] == 1


def test_a_case_to_reassess_comes_with_its_latest_assessment(
    session: Session, staff: dict[str, User]
) -> None:
    now = utcnow()
    cases = [make_case(session, staff["analyst"], f"Case {number}") for number in range(3)]
    latest = {}
    for case in cases:
        make_assessment(session, case, "low")
        latest[case.id] = make_assessment(session, case, "high")
        make_threat(session, case)  # logged after the assessments
    rows = reassessment_due(session, staff["analyst"], now + timedelta(seconds=1))
    assert {row.case.id for row in rows} == set(latest)
    assert all(row.newer_threat and row.latest is latest[row.case.id] for row in rows)
