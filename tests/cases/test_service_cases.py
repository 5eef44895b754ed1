"""Opening, editing and assigning cases: references, stale versions, links and the audit trail."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from casemgr.audit.log import verify_audit_chain
from casemgr.auth.models import User
from casemgr.cases.models import Case, CaseStatusChange
from casemgr.cases.operations import CaseDetails, StaleVersion, assign_case, update_case
from casemgr.cases.references import allocate_reference, format_reference
from casemgr.db import utcnow
from casemgr.errors import ValidationFailed
from casemgr.extensions import db
from tests.cases.conftest import (
    actor_of,
    add_user,
    events_since,
    last_event_id,
    make_case,
    make_protectee,
    make_subject,
)

REFERENCE = re.compile(r"^TA-(\d{4})-(\d{4})$")


def number_of(ref: str) -> int:
    match = REFERENCE.match(ref)
    assert match, ref
    return int(match.group(2))


def details_of(case: Case, **changes: object) -> CaseDetails:
    """What an edit form would send back for `case`, with `changes` applied."""
    values = {
        "title": case.title,
        "summary": case.summary,
        "priority": case.priority,
        "restricted": case.restricted,
        "next_review_at": case.next_review_at,
        "protectee_ids": [p.id for p in case.protectees],
        "subject_ids": [s.id for s in case.subjects],
        "members": [m.user.username for m in case.members],
    }
    return CaseDetails(**(values | changes))


# Opening a case ----------------------------------------------------------------------------


def test_a_new_case_starts_as_new_owned_by_its_owner_with_a_reference_of_this_year(
    session: Session, staff: dict[str, User]
) -> None:
    analyst = staff["analyst"]
    mark = last_event_id(session)
    case = make_case(session, analyst, "  CEO named in a post  ", summary="Post on Chirper.")
    session.commit()

    match = REFERENCE.match(case.ref)
    assert match and int(match.group(1)) == utcnow().year
    assert (case.status, case.owner_id, case.title) == ("new", analyst.id, "CEO named in a post")
    [opened] = session.scalars(select(CaseStatusChange).where(CaseStatusChange.case_id == case.id))
    assert (opened.from_status, opened.to_status, opened.actor_id) == (None, "new", analyst.id)
    [event] = events_since(session, mark)
    assert (event.action, event.case_ref, event.actor) == ("case.create", case.ref, "analyst")
    assert event.changes["ref"] == {"old": None, "new": case.ref}
    assert event.changes["title"]["new"] == "CEO named in a post"


def test_references_increase_one_by_one(session: Session, staff: dict[str, User]) -> None:
    refs = [make_case(session, staff["analyst"], f"Case {n}").ref for n in range(3)]
    first = number_of(refs[0])
    assert [number_of(ref) for ref in refs] == [first, first + 1, first + 2]


def test_references_are_counted_per_year_and_padded_to_four_digits(session: Session) -> None:
    assert allocate_reference(session, 2031) == "TA-2031-0001"
    assert allocate_reference(session, 2031) == "TA-2031-0002"
    assert allocate_reference(session, 2032) == "TA-2032-0001"
    assert format_reference(2031, 12345) == "TA-2031-12345"


def test_two_cases_opened_at_the_same_moment_get_distinct_references(
    app: Flask, users: dict[str, User]
) -> None:
    """Two threads, each with its own app context, session and connection, open a case at
    once; a busy transaction may be retried, but the references must never collide."""
    threads_per_round, rounds = 2, 3
    refs: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def open_case(barrier: threading.Barrier, title: str) -> None:
        try:
            with app.app_context():
                owner = db.session.get(User, users["analyst"].id)
                barrier.wait(timeout=20)
                for _ in range(5):
                    try:
                        case = make_case(db.session, owner, title)
                        db.session.commit()
                    except OperationalError:  # busy or serialisation failure: try again
                        db.session.rollback()
                        continue
                    with lock:
                        refs.append(case.ref)
                    return
                raise AssertionError(f"{title} could not be opened in five attempts")
        except BaseException as error:  # reported by the test below
            failures.append(error)

    for round_number in range(rounds):
        barrier = threading.Barrier(threads_per_round)
        threads = [
            threading.Thread(target=open_case, args=(barrier, f"Round {round_number} #{n}"))
            for n in range(threads_per_round)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert failures == []
    assert len(refs) == len(set(refs)) == threads_per_round * rounds
    numbers = sorted(number_of(ref) for ref in refs)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    with app.app_context():
        stored = db.session.scalars(select(Case.ref)).all()
        assert sorted(stored) == sorted(refs)
        assert verify_audit_chain(db.session) is None


# Editing a case ----------------------------------------------------------------------------


def test_an_edit_with_the_current_version_is_saved_and_audited(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen, mark = case.version, last_event_id(session)
    review = utcnow() + timedelta(days=7)
    update_case(
        session,
        actor_of(staff["analyst"]),
        case,
        details_of(case, title="CEO threatened by name", priority="high", next_review_at=review),
        seen,
    )
    session.commit()

    assert (case.title, case.priority, case.next_review_at) == (
        "CEO threatened by name",
        "high",
        review,
    )
    assert case.version > seen
    [event] = events_since(session, mark)
    assert event.action == "case.update"
    assert event.changes["title"] == {
        "old": "Threats against the CEO",
        "new": "CEO threatened by name",
    }
    assert event.changes["priority"] == {"old": "normal", "new": "high"}


def test_an_edit_based_on_a_stale_version_is_refused_and_changes_nothing(
    app: Flask, session: Session, staff: dict[str, User], case: Case
) -> None:
    seen = case.version
    update_case(
        session, actor_of(staff["lead"]), case, details_of(case, title="Lead's title"), seen
    )
    session.commit()
    mark = last_event_id(session)

    with pytest.raises(StaleVersion) as refused:
        update_case(
            session,
            actor_of(staff["analyst"]),
            case,
            details_of(case, title="Analyst's title", summary="Overwritten?"),
            seen,
        )
    assert refused.value.case is case
    assert case.ref in refused.value.detail
    session.rollback()
    with app.app_context():
        stored = db.session.get(Case, case.id)
        assert (stored.title, stored.summary) == ("Lead's title", "")
    assert events_since(session, mark) == []


def test_a_concurrent_write_between_load_and_flush_is_caught_by_the_version_column(
    app: Flask, session: Session, staff: dict[str, User], case: Case
) -> None:
    """The version check in the service catches a stale form; the ORM's version column
    catches the race in which another transaction commits after this one loaded the case."""
    from sqlalchemy.orm.exc import StaleDataError

    seen = case.version
    with app.app_context():
        other = db.session.get(Case, case.id)
        other.title = "Changed elsewhere"
        db.session.commit()
    with pytest.raises(StaleDataError):
        update_case(session, actor_of(staff["analyst"]), case, details_of(case, title="Mine"), seen)
    session.rollback()
    assert session.get(Case, case.id).title == "Changed elsewhere"


def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_event(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen, mark = case.version, last_event_id(session)
    update_case(session, actor_of(staff["analyst"]), case, details_of(case), seen)
    session.commit()
    assert case.version == seen
    assert events_since(session, mark) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"priority": "critical"}, "priority"),
        ({"next_review_at": datetime(2031, 1, 1, 9, 0)}, "next_review_at"),
        ({"protectee_ids": [987654]}, "protectee_ids"),
        ({"subject_ids": [987654]}, "subject_ids"),
        ({"members": ["nobody"]}, "members"),
        ({"summary": "a\x00b"}, "summary"),
    ],
)
def test_an_invalid_edit_is_refused_naming_the_field_and_changes_nothing(
    session: Session, staff: dict[str, User], case: Case, changes: dict, field: str
) -> None:
    seen, mark = case.version, last_event_id(session)
    with pytest.raises(ValidationFailed) as refused:
        update_case(session, actor_of(staff["analyst"]), case, details_of(case, **changes), seen)
    assert field in refused.value.errors
    session.flush()
    assert (case.title, case.priority, case.version) == ("Threats against the CEO", "normal", seen)
    assert events_since(session, mark) == []


def test_a_disabled_user_cannot_be_made_a_member(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    add_user(session, "gone", active=False)
    with pytest.raises(ValidationFailed) as refused:
        update_case(
            session, actor_of(staff["lead"]), case, details_of(case, members=["gone"]), None
        )
    assert "gone" in refused.value.errors["members"][0]


def test_links_to_protectees_subjects_and_members_are_set_and_audited(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    ceo, founder = (
        make_protectee(session, "Adrian Kessler"),
        make_protectee(session, "Mira Solberg"),
    )
    group = make_subject(session, "Dawn Vanguard")
    mark = last_event_id(session)
    update_case(
        session,
        actor_of(staff["analyst"]),
        case,
        details_of(
            case,
            protectee_ids=[founder.id, ceo.id, ceo.id],
            subject_ids=[group.id],
            members=[" Lead ", "viewer"],
            restricted=True,
        ),
        case.version,
    )
    session.commit()

    assert {p.name for p in case.protectees} == {"Adrian Kessler", "Mira Solberg"}
    assert [s.name for s in case.subjects] == ["Dawn Vanguard"]
    assert sorted(m.user.username for m in case.members) == ["lead", "viewer"]
    [event] = events_since(session, mark)
    assert event.changes["protectees"] == {"old": [], "new": sorted([ceo.id, founder.id])}
    assert event.changes["members"] == {"old": [], "new": ["lead", "viewer"]}
    assert event.changes["restricted"] == {"old": False, "new": True}

    update_case(session, actor_of(staff["analyst"]), case, details_of(case, members=["lead"]), None)
    session.commit()
    assert [m.user.username for m in case.members] == ["lead"]


# Assigning a case --------------------------------------------------------------------------


def test_assigning_gives_the_case_to_the_new_owner_at_once(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    seen, mark = case.version, last_event_id(session)
    assign_case(session, actor_of(staff["lead"]), case, staff["admin"])
    session.commit()
    assert case.owner_id == staff["admin"].id
    assert case.version > seen
    [event] = events_since(session, mark)
    assert (event.action, event.actor) == ("case.assign", "lead")
    assert event.changes["owner_id"] == {"old": staff["analyst"].id, "new": staff["admin"].id}


def test_assigning_to_the_current_owner_writes_no_event(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    mark = last_event_id(session)
    assign_case(session, actor_of(staff["lead"]), case, staff["analyst"])
    session.flush()
    assert events_since(session, mark) == []


def test_cases_are_not_assigned_to_viewers_or_disabled_users(
    session: Session, staff: dict[str, User], case: Case
) -> None:
    disabled = add_user(session, "on_leave", "analyst", active=False)
    for owner in (staff["viewer"], disabled):
        with pytest.raises(ValidationFailed) as refused:
            assign_case(session, actor_of(staff["lead"]), case, owner)
        assert "owner" in refused.value.errors
    assert case.owner_id == staff["analyst"].id
